#!/usr/bin/env bash
# The deb suite: `make deb`, then
# - each package checked with dpkg-deb (fields, files, conffiles,
#   maintainer scripts, stripped ELF files without build paths or
#   RUNPATH), the units with systemd-analyze verify;
# - a real dpkg install, remove and purge in a private chroot whose /usr is
#   an overlay (node/deb/dpkg_cycle.sh: the maintainer scripts run, this
#   machine's / untouched);
# - the packages extracted into a scratch root with dpkg-deb -x: a 3-node
#   cluster, slot-gateway and slot-archiver started from the units' own
#   ExecStart lines (node/deb/unitrun.py, paths moved into the root, ports
#   free on 127.0.0.1), a booking through the packaged slotctl and one
#   through the gateway with curl, both verified, and a program built
#   against libslot-dev with pkg-config that reads the pool.
# Every process it starts is stopped by pid; the scratch root is removed.
# Prints "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
REPO=$(pwd)
HERE="$REPO/node/deb"
VERSION=$(cat "$HERE/VERSION")
ARCH=$(dpkg --print-architecture)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)
DEB="$REPO/build/deb"
T=$(mktemp -d /tmp/slot-deb-test.XXXXXX)
R="$T/root"
passed=0 failed=0
pids=()

ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { # DESCRIPTION COMMAND...: one check, passed if COMMAND exits 0
    local d=$1; shift
    if "$@" > "$T/check.out" 2>&1; then ok "$d"; else bad "$d"; sed 's/^/     /' "$T/check.out" | tail -n 20; fi
}

# Stops every process started here, by pid; their exit statuses in
# $T/exits, one "PID STATUS" a line (SIGTERM is a clean stop: 0).
stop_all() {
    local p i
    for p in "${pids[@]+"${pids[@]}"}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${pids[@]+"${pids[@]}"}"; do
        for i in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
        echo "$p $?" >> "$T/exits"
    done
    pids=()
}
finish() {
    stop_all
    rm -rf "$T"
    echo "$passed passed, $failed failed"
    [ "$failed" = 0 ]
    exit $?
}
trap finish EXIT
trap 'exit 1' INT TERM

# --- make deb -------------------------------------------------------------
if ! make deb > "$T/make.log" 2>&1; then
    bad "make deb"; tail -n 30 "$T/make.log"; exit 1
fi
ok "make deb"

PKGS=(slotd slot-gateway libslot5 libslot-dev slotctl)
declare -A FILES=(
    [slotd]="./usr/sbin/slotd ./lib/systemd/system/slotd@.service ./etc/slot/slotd.conf ./usr/share/doc/slotd/README.Debian"
    [slot-gateway]="./usr/sbin/slot-gateway ./usr/sbin/slot-archiver ./lib/systemd/system/slot-gateway.service ./lib/systemd/system/slot-archiver.service ./etc/slot/archiver.conf ./usr/share/slot-gateway/make-gateway-config"
    [libslot5]="./usr/lib/$MA/libslot.so.5"
    [libslot-dev]="./usr/include/libslot.h ./usr/include/slot_err.h ./usr/lib/$MA/libslot.so ./usr/lib/$MA/libslot.a ./usr/lib/$MA/pkgconfig/slot.pc"
    [slotctl]="./usr/bin/slotctl"
)
declare -A CONFFILES=([slotd]="/etc/slot/slotd.conf" [slot-gateway]="/etc/slot/archiver.conf")

# --- each package -----------------------------------------------------------
mkdir -p "$R"
for p in "${PKGS[@]}"; do
    f="$DEB/${p}_${VERSION}_${ARCH}.deb"
    if [ ! -f "$f" ]; then bad "$p: $f built"; continue; fi
    check "$p: dpkg-deb --info" dpkg-deb --info "$f"
    check "$p: Package, Version, Architecture" bash -c \
        "[ \"\$(dpkg-deb -f '$f' Package Version Architecture)\" = \"\$(printf 'Package: $p\nVersion: $VERSION\nArchitecture: $ARCH')\" ]"
    dpkg-deb --contents "$f" | awk '{print $6}' > "$T/$p.contents"
    missing=""
    for want in ${FILES[$p]}; do grep -qxF "$want" "$T/$p.contents" || missing+=" $want"; done
    if [ -z "$missing" ]; then ok "$p: files"; else bad "$p: files missing:$missing"; fi
    check "$p: owned by root" bash -c "! dpkg-deb --contents '$f' | awk '{print \$2}' | grep -v '^root/root\$'"
    mkdir -p "$T/ctl/$p"
    dpkg-deb --control "$f" "$T/ctl/$p"
    want=${CONFFILES[$p]:-}
    got=$(cat "$T/ctl/$p/conffiles" 2>/dev/null)
    if [ "$got" = "$want" ]; then ok "$p: conffiles '$want'"; else bad "$p: conffiles '$got', expected '$want'"; fi
    for s in "$T/ctl/$p"/postinst "$T/ctl/$p"/prerm "$T/ctl/$p"/postrm; do
        [ -f "$s" ] && check "$p: sh -n $(basename "$s")" sh -n "$s"
    done
    dpkg-deb -x "$f" "$R"
done
check "slotd, slot-gateway: postinst creates the slot user" bash -c \
    "grep -q 'adduser --system' '$T/ctl/slotd/postinst' && grep -q 'adduser --system' '$T/ctl/slot-gateway/postinst'"
check "slotd, slot-gateway: data removed on purge only" bash -c \
    "grep -A2 'purge' '$T/ctl/slotd/postrm' | grep -q 'rm -rf /var/lib/slot/node' &&
     grep -A2 'purge' '$T/ctl/slot-gateway/postrm' | grep -q 'rm -rf /var/lib/slot/archive' &&
     [ \$(grep -c 'rm -' '$T/ctl/slotd/postrm') = 1 ]"
check "Depends: libslot-dev on libslot5 (= $VERSION)" bash -c \
    "dpkg-deb -f '$DEB/libslot-dev_${VERSION}_${ARCH}.deb' Depends | grep -qF 'libslot5 (= $VERSION)'"
check "Depends: slotd on libuv1 and liblz4-1, never on libraft" bash -c \
    "d=\$(dpkg-deb -f '$DEB/slotd_${VERSION}_${ARCH}.deb' Depends); echo \"\$d\";
     [[ \$d == *libuv1* && \$d == *liblz4-1* && \$d == *adduser* && \$d != *raft* ]]"
check "Depends: slot-gateway on libh2o, libjansson4, libssl3" bash -c \
    "d=\$(dpkg-deb -f '$DEB/slot-gateway_${VERSION}_${ARCH}.deb' Depends); echo \"\$d\";
     [[ \$d == *libh2o* && \$d == *libjansson4* && \$d == *libssl3* ]]"
check "libslot5: shlibs and ldconfig trigger" bash -c \
    "grep -qx 'libslot 5 libslot5 (>= $VERSION)' '$T/ctl/libslot5/shlibs' &&
     grep -qx 'activate-noawait ldconfig' '$T/ctl/libslot5/triggers'"

# --- the installed tree -------------------------------------------------------
elfs=("$R/usr/sbin/slotd" "$R/usr/sbin/slot-gateway" "$R/usr/sbin/slot-archiver"
      "$R/usr/bin/slotctl" "$R/usr/lib/$MA/libslot.so.5")
for e in "${elfs[@]}"; do
    n=${e#"$R"}
    check "$n: stripped (no .symtab, no .debug_*)" bash -c \
        "! readelf -S -W '$e' | grep -E '\\.symtab|\\.debug_'"
    check "$n: no RPATH/RUNPATH, raft not linked" bash -c \
        "! readelf -d '$e' | grep -E 'RPATH|RUNPATH|libraft'"
done
check "no build path ($REPO, .deps) in any installed file" bash -c \
    "! grep -r -l -a -e '$REPO' -e '/.deps/' '$R'"
check "libslot.so.5: soname, libslot.so -> libslot.so.5" bash -c \
    "readelf -d '$R/usr/lib/$MA/libslot.so.5' | grep -q 'SONAME.*\\[libslot.so.5\\]' &&
     [ \"\$(readlink '$R/usr/lib/$MA/libslot.so')\" = libslot.so.5 ]"
check "slot.pc: prefix /usr, libdir /usr/lib/$MA" bash -c \
    "grep -qx 'prefix=/usr' '$R/usr/lib/$MA/pkgconfig/slot.pc' &&
     PKG_CONFIG_LIBDIR='$R/usr/lib/$MA/pkgconfig' pkg-config --variable=libdir slot | grep -qx '/usr/lib/$MA'"
for u in slotd@.service slot-gateway.service slot-archiver.service; do
    uf="$R/lib/systemd/system/$u"
    for want in 'User=slot' 'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' \
                'NoNewPrivileges=yes' 'Restart=on-failure' 'LimitNOFILE=65536'; do
        if grep -qx "$want" "$uf"; then ok "$u: $want"; else bad "$u: $want"; fi
    done
    check "$u: RestartSec of seconds" grep -qE '^RestartSec=[1-9]' "$uf"
done
check "slotd@, slot-archiver: StateDirectory=slot/..." bash -c \
    "grep -qx 'StateDirectory=slot/node%i' '$R/lib/systemd/system/slotd@.service' &&
     grep -qx 'StateDirectory=slot/archive' '$R/lib/systemd/system/slot-archiver.service'"

# systemd-analyze verify reads the units from the root, beside the host's
# own (sysinit.target and the like), in a copy of the tree.
if command -v systemd-analyze > /dev/null && [ -d /lib/systemd/system ]; then
    V="$T/verify"
    mkdir -p "$V"
    cp -a "$R/." "$V/"
    cp -an /lib/systemd/system/. "$V/lib/systemd/system/"
    check "systemd-analyze verify (clean: no message at all)" bash -c \
        "out=\$(systemd-analyze verify --root='$V' slotd@1.service slot-gateway.service \
                slot-archiver.service 2>&1); rc=\$?; echo \"\$out\"; [ \$rc = 0 ] && [ -z \"\$out\" ]"
    rm -rf "$V"
else
    echo "skip systemd-analyze verify (not available)"
fi

# --- dpkg for real, in a private chroot (node/deb/dpkg_cycle.sh) --------------
if command -v unshare > /dev/null; then
    mkdir "$T/cycle"
    unshare -m --propagation private "$HERE/dpkg_cycle.sh" "$T/cycle" "$DEB" \
        > "$T/cycle.out" 2>&1
    rc=$?
    cat "$T/cycle.out"
    if [ $rc = 3 ]; then
        echo "skip dpkg install cycle (no private overlay mount here)"
    else
        passed=$((passed + $(grep -c '^ok' "$T/cycle.out")))
        failed=$((failed + $(grep -c '^FAIL' "$T/cycle.out")))
        [ $rc = 0 ] || grep -q '^FAIL' "$T/cycle.out" || bad "dpkg_cycle.sh exited $rc"
    fi
    rm -rf "$T/cycle"
else
    echo "skip dpkg install cycle (no unshare)"
fi

# --- a cluster from the units ---------------------------------------------------
mapfile -t P < <(python3 "$HERE/unitrun.py" ports 7)
if [ ${#P[@]} != 7 ]; then bad "7 free ports"; exit 1; fi
CL="127.0.0.1:${P[3]},127.0.0.1:${P[4]},127.0.0.1:${P[5]}"
BOOT="1=127.0.0.1:${P[0]}/127.0.0.1:${P[3]},2=127.0.0.1:${P[1]}/127.0.0.1:${P[4]},3=127.0.0.1:${P[2]}/127.0.0.1:${P[5]}"
# As an operator would: the shared conffile names the voters, each node's
# own file its addresses (three nodes on one machine).
sed -i "s|^SLOTD_OPTS=.*|SLOTD_OPTS=\"--bootstrap $BOOT\"|" "$R/etc/slot/slotd.conf"
for i in 1 2 3; do
    printf 'SLOTD_RAFT=127.0.0.1:%s\nSLOTD_LISTEN=127.0.0.1:%s\n' \
        "${P[$((i - 1))]}" "${P[$((i + 2))]}" > "$R/etc/slot/slotd-$i.conf"
    python3 "$HERE/unitrun.py" exec "$R" "$R/lib/systemd/system/slotd@.service" "$i" \
        > "$T/slotd$i.log" 2>&1 &
    pids+=($!)
done
SLOTCTL=("$R/usr/bin/slotctl" --cluster "$CL")
leader=""
for _ in $(seq 100); do
    leader=$("${SLOTCTL[@]}" --timeout 300 status --json 2>/dev/null |
             sed -n 's/.*"leader": *\([0-9][0-9]*\).*/\1/p')
    [ -n "$leader" ] && [ "$leader" != 0 ] && break
    dead=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || dead=1; done
    [ $dead = 1 ] && break # a node exited (a bad flag): no use waiting
    sleep 0.1
done
if [ -n "$leader" ] && [ "$leader" != 0 ]; then
    ok "3 nodes from slotd@.service elect a leader ($leader)"
else
    bad "no leader"; tail -n 5 "$T"/slotd*.log; exit 1
fi
check "node data in /var/lib/slot/node1..3 of the root" bash -c \
    "for i in 1 2 3; do [ -n \"\$(ls -A '$R/var/lib/slot/node'\$i)\" ] || exit 1; done"

# The gateway's configuration as its postinst writes it, then pointed at
# this cluster and port.
check "make-gateway-config writes gateway.json and the secret, mode 0640" bash -c \
    "'$R/usr/share/slot-gateway/make-gateway-config' '$R/etc/slot' &&
     [ \"\$(stat -c %a '$R/etc/slot/gateway.json' '$R/etc/slot/gateway-identity.secret')\" = \"\$(printf '640\n640')\" ]"
cp "$R/etc/slot/gateway.json" "$T/gateway.json.first"
check "make-gateway-config again: secrets kept" bash -c \
    "'$R/usr/share/slot-gateway/make-gateway-config' '$R/etc/slot' &&
     cmp '$R/etc/slot/gateway.json' '$T/gateway.json.first' &&
     grep -q '\"secret_file\": \"$R/etc/slot/gateway-identity.secret\"' '$R/etc/slot/gateway.json'"
python3 - "$R/etc/slot/gateway.json" "127.0.0.1:${P[6]}" "$CL" <<'PY'
import json, sys
p, listen, cluster = sys.argv[1:]
c = json.load(open(p))
c["listen"], c["cluster"] = listen, cluster
json.dump(c, open(p, "w"), indent=2)
PY
ADMIN=$(python3 -c 'import json,sys; print([t for t,c in json.load(open(sys.argv[1]))["tokens"].items() if c=="admin"][0])' "$R/etc/slot/gateway.json")
APP=$(python3 -c 'import json,sys; print([t for t,c in json.load(open(sys.argv[1]))["tokens"].items() if c=="app"][0])' "$R/etc/slot/gateway.json")
python3 "$HERE/unitrun.py" exec "$R" "$R/lib/systemd/system/slot-gateway.service" \
    > "$T/gateway.log" 2>&1 &
pids+=($!)
sed -i "s|^SLOT_CLUSTER=.*|SLOT_CLUSTER=$CL|" "$R/etc/slot/archiver.conf"
python3 "$HERE/unitrun.py" exec "$R" "$R/lib/systemd/system/slot-archiver.service" \
    > "$T/archiver.log" 2>&1 &
pids+=($!)
GW="http://127.0.0.1:${P[6]}"
up=0
for _ in $(seq 100); do
    curl -s -m 1 -o /dev/null "$GW/healthz" && { up=1; break; }
    sleep 0.1
done
if [ $up = 1 ]; then ok "slot-gateway from its unit answers /healthz"; else bad "slot-gateway up"; tail -n 5 "$T/gateway.log"; fi

# --- bookings ---------------------------------------------------------------
POOL=deb-test-pool
check "slotctl pool create" "${SLOTCTL[@]}" pool create "$POOL" --capacity 4
hold=$("${SLOTCTL[@]}" --json hold "$POOL" patient-0001 --channel window 2>"$T/hold.err" |
       sed -n 's/.*"hold": *\([0-9][0-9]*\).*/\1/p')
if [ -n "$hold" ]; then ok "slotctl hold ($hold)"; else bad "slotctl hold"; cat "$T/hold.err"; fi
check "slotctl confirm (paid online)" "${SLOTCTL[@]}" confirm "${hold:-0}" pay-deb-0001
check "slotctl show booking: booked" bash -c \
    "'${SLOTCTL[0]}' --cluster '$CL' --json show booking '${hold:-0}' | tee /dev/stderr | grep -q '\"state\": *\"booked\"'"

code=$(curl -s -m 10 -o "$T/ghold.json" -w '%{http_code}' -X POST \
       -H "Authorization: Bearer $APP" \
       -d '{"id_type":"id_card","id_number":"11010519491231002X"}' \
       "$GW/v1/pools/$POOL/holds")
ghold=$(sed -n 's/.*"hold": *\([0-9][0-9]*\).*/\1/p' "$T/ghold.json")
if [ "$code" = 201 ] && [ -n "$ghold" ]; then ok "gateway hold ($ghold)"; else bad "gateway hold: $code $(cat "$T/ghold.json")"; fi
check "gateway confirm" bash -c \
    "[ \"\$(curl -s -m 10 -o /dev/stderr -w '%{http_code}' -X POST -H 'Authorization: Bearer $APP' \
        -d '{\"payment_ref\":\"pay-deb-0002\"}' '$GW/v1/holds/${ghold:-0}/confirm')\" = 200 ]"
check "gateway GET /v1/holds: booked" bash -c \
    "curl -s -m 10 -H 'Authorization: Bearer $ADMIN' '$GW/v1/holds/${ghold:-0}' | tee /dev/stderr |
     grep -q '\"state\": *\"booked\"'"
check "slotctl pool show: 2 booked" bash -c \
    "'${SLOTCTL[0]}' --cluster '$CL' --json pool show '$POOL' | tee /dev/stderr | grep -q '\"booked\": *2'"

# --- libslot-dev ----------------------------------------------------------------
export PKG_CONFIG_SYSROOT_DIR="$R"
export PKG_CONFIG_PATH="$R/usr/lib/$MA/pkgconfig"
flags=$(pkg-config --cflags --libs slot 2>"$T/pc.err")
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_PATH
if [[ $flags == *"-I$R/usr/include"* && $flags == *"-L$R/usr/lib/$MA"* && $flags == *-lslot* ]]; then
    ok "pkg-config --cflags --libs slot: $flags"
else
    bad "pkg-config --cflags --libs slot: '$flags' $(cat "$T/pc.err")"
fi
# shellcheck disable=SC2086
check "a program builds against libslot-dev" cc -std=c11 -Wall -Werror -o "$T/test_dev" \
    "$HERE/test_dev.c" $flags
check "it runs on libslot.so.5 from the root and reads the pool" bash -c \
    "LD_LIBRARY_PATH='$R/usr/lib/$MA' ldd '$T/test_dev' | grep -q 'libslot.so.5 => $R/usr/lib/$MA/libslot.so.5' &&
     [ \"\$(LD_LIBRARY_PATH='$R/usr/lib/$MA' '$T/test_dev' '$CL' '$POOL')\" = 'booked 2' ]"

# The archiver follows the feed into its StateDirectory (bounded wait).
arch=0
for _ in $(seq 100); do
    [ -s "$R/var/lib/slot/archive/cursor" ] && { arch=1; break; }
    sleep 0.1
done
if [ $arch = 1 ]; then ok "slot-archiver from its unit writes /var/lib/slot/archive"; else bad "slot-archiver archive"; tail -n 5 "$T/archiver.log"; fi

# --- stop -----------------------------------------------------------------------
saved=("${pids[@]}")
stop_all
alive=""
for p in "${saved[@]}"; do kill -0 "$p" 2>/dev/null && alive+=" $p"; done
if [ -z "$alive" ]; then ok "all ${#saved[@]} processes stopped"; else bad "still running:$alive"; fi
check "each exited 0 on SIGTERM (pid status)" bash -c "cat '$T/exits'; ! grep -qv ' 0\$' '$T/exits'"
