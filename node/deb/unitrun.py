#!/usr/bin/env python3
"""The deb suite's helper (node/deb/test_deb.sh).

  unitrun.py ports N
      N free TCP ports on 127.0.0.1, one a line: from $SLOT_TEST_PORTS
      ("LO-HI", each .ci/suites lane's own range) when set, else the
      kernel's. All stay bound until every one is known, so none is
      handed out twice.

  unitrun.py exec ROOT UNIT [INSTANCE]
      Runs a systemd unit's service the way systemd would, inside the
      scratch root ROOT: the [Service] EnvironmentFile= and Environment=
      lines, %i, ${VAR} (one word) and $VAR (split on spaces), the
      StateDirectory= made, every ExecStartPre= run (a failure stops
      here, exit 1), then ExecStart= exec'ed (so this process's pid is the
      daemon's). Every absolute path under /etc, /var, /usr or /lib is
      moved into ROOT: the units' own paths are the ones tested.
"""
import os
import random
import re
import shlex
import socket
import subprocess
import sys

PREFIXES = ("/etc/", "/var/", "/usr/", "/lib/")


def ports(n):
    rng = os.environ.get("SLOT_TEST_PORTS", "")
    m = re.fullmatch(r"(\d+)-(\d+)", rng)
    socks, out = [], []
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        cand = list(range(lo, hi + 1))
        random.Random(os.getpid() * 7919).shuffle(cand)
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if not m:
            s.bind(("127.0.0.1", 0))
        else:
            while True:
                if not cand:
                    sys.exit("unitrun: no free port in " + rng)
                try:
                    s.bind(("127.0.0.1", cand.pop()))
                    break
                except OSError:
                    continue
        socks.append(s)
        out.append(s.getsockname()[1])
    for s in socks:
        s.close()
    print("\n".join(map(str, out)))


def rooted(root, word):
    return root + word if word.startswith(PREFIXES) else word


def read_unit(path):
    """The [Service] section: a list of (key, value), in order."""
    items, section, cont = [], None, ""
    with open(path) as f:
        for raw in f:
            line = cont + raw.rstrip("\n")
            cont = ""
            if line.endswith("\\"):
                cont = line[:-1] + " "
                continue
            s = line.strip()
            if not s or s[0] in "#;":
                continue
            if s.startswith("["):
                section = s
                continue
            if section == "[Service]" and "=" in s:
                k, v = s.split("=", 1)
                items.append((k.strip(), v.strip()))
    return items


def read_env(path, env):
    with open(path) as f:
        for line in f:
            s = line.strip()
            if not s or s[0] in "#;" or "=" not in s:
                continue
            k, v = s.split("=", 1)
            words = shlex.split(v, posix=True)
            env[k.strip()] = " ".join(words)


def expand(cmd, env, instance):
    cmd = cmd.replace("%i", instance).replace("%%", "%")
    argv = []
    for word in shlex.split(cmd):
        m = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
        if m:  # $VAR alone: split into words, none if empty
            argv.extend(env.get(m.group(1), "").split())
            continue
        argv.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}",
                           lambda x: env.get(x.group(1), ""), word))
    return argv


def run(root, unit, instance):
    items = read_unit(unit)
    env = {}
    for k, v in items:
        v = v.replace("%i", instance)
        if k == "EnvironmentFile":
            optional = v.startswith("-")
            p = rooted(root, v.lstrip("-"))
            if os.path.exists(p):
                read_env(p, env)
            elif not optional:
                sys.exit("unitrun: %s: no %s" % (unit, p))
        elif k == "Environment":
            for w in shlex.split(v):
                a, b = w.split("=", 1)
                env[a] = b
        elif k == "StateDirectory":
            for d in v.split():
                os.makedirs(os.path.join(root, "var/lib", d), exist_ok=True)
    child_env = dict(os.environ)
    child_env.update({k: rooted(root, v) for k, v in env.items()})
    starts = []
    for k, v in items:
        if k not in ("ExecStartPre", "ExecStart"):
            continue
        ignore = v.startswith("-")
        argv = [rooted(root, w) for w in expand(v.lstrip("-@+!"), env, instance)]
        starts.append((k, ignore, argv))
    mains = [s for s in starts if s[0] == "ExecStart"]
    if len(mains) != 1:
        sys.exit("unitrun: %s: %d ExecStart lines" % (unit, len(mains)))
    for k, ignore, argv in starts:
        print("unitrun: %s: %s" % (k, " ".join(argv)), file=sys.stderr, flush=True)
        if k == "ExecStartPre":
            rc = subprocess.call(argv, env=child_env)
            if rc != 0 and not ignore:
                sys.exit("unitrun: ExecStartPre failed (%d)" % rc)
    os.execve(mains[0][2][0], mains[0][2], child_env)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "ports":
        ports(int(sys.argv[2]))
    elif len(sys.argv) in (4, 5) and sys.argv[1] == "exec":
        run(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) == 5 else "")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
