#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian 12 machine, and
# nothing that is already there. Idempotent: a second run does no work.
#
#   node/deps/setup.sh            # Debian packages + raft
#   node/deps/setup.sh --check    # only report what is missing (exit 1 if any)
#
# raft: Debian 12 ships libraft 0.15.0, which loses entries and over-counts
# replicas (see issue "slotd"); we never link it. We use a system libraft
# >= 0.22 when pkg-config finds one; otherwise we build Debian 13's 0.22.1
# source package, with our patches (a follower snapshot crash, the
# consistency bugs our simulation found, a leak LeakSanitizer found, a
# promotion that never ends), into
#   .deps/raft        (release, NDEBUG: what slotd links)
#   .deps/raft-debug  (raft's own assertions on: the simulation runs on it too)
# The deb-src entry for trixie reuses the mirror URI this machine's apt
# sources already name; no registry host is written into the repository.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DEPS="$ROOT/.deps"
RAFT_VERSION=0.22.1
# Applied in this order (see each file's header for what and why).
PATCHES=("$ROOT/node/deps/raft-$RAFT_VERSION-snapshot-pending.patch"
         "$ROOT/node/deps/raft-$RAFT_VERSION-consistency-fixes.patch"
         "$ROOT/node/deps/raft-$RAFT_VERSION-install-leak.patch"
         "$ROOT/node/deps/raft-$RAFT_VERSION-catchup-rounds.patch")
patch_sum() { cat "${PATCHES[@]}" | sha256sum; }

# systemd: systemd-analyze verify of the packaged units (the deb suite).
PKGS=(build-essential pkg-config libuv1-dev libmsgpack-dev liblz4-dev
      libjansson-dev libh2o-dev libssl-dev clang libclang-rt-14-dev clang-format
      dpkg-dev autoconf automake libtool iproute2 nftables gnuplot-nox
      faketime libfaketime wrk curl python3-yaml nodejs systemd)

# The console's browser suite: Debian's Chromium, driven over the DevTools
# protocol by python3-websocket (client/gateway/test/cdp.py).
PKGS+=(chromium python3-websocket)

check_only=0
[ "${1:-}" = "--check" ] && check_only=1

log() { printf 'setup: %s\n' "$*" >&2; }

missing=()
for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
        missing+=("$p")
    fi
done

apt_updated=0
apt_update() {
    if [ $apt_updated = 0 ]; then
        log "apt-get update"
        apt-get update -q >/dev/null
        apt_updated=1
    fi
}

if [ ${#missing[@]} -gt 0 ]; then
    if [ $check_only = 1 ]; then
        log "missing packages: ${missing[*]}"
        exit 1
    fi
    if [ "$(id -u)" != 0 ]; then
        log "missing packages: ${missing[*]} (run as root, or install them)"
        exit 1
    fi
    apt_update
    log "installing: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi

# --- raft ------------------------------------------------------------------
if pkg-config --atleast-version=0.22 raft 2>/dev/null; then
    log "using system libraft $(pkg-config --modversion raft)"
    exit 0
fi

raft_ok() { [ -f "$1/lib/pkgconfig/raft.pc" ] && [ -f "$1/.slot-stamp" ] &&
            [ "$(cat "$1/.slot-stamp")" = "$RAFT_VERSION $(patch_sum)" ]; }

if raft_ok "$DEPS/raft" && raft_ok "$DEPS/raft-debug"; then
    exit 0
fi
if [ $check_only = 1 ]; then
    log "raft $RAFT_VERSION not built under $DEPS"
    exit 1
fi

# A deb-src line for trixie, with the URI of this machine's main Debian mirror.
src_list=/etc/apt/sources.list.d/slot-trixie-src.list
if ! grep -qs 'trixie' "$src_list"; then
    uri=$( { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}';
             grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
               awk '{print ($2 ~ /^\[/) ? $3 : $2}'; } |
           grep -v -- '-security' | grep -i 'debian' | head -n 1 || true)
    [ -n "$uri" ] || { log "no Debian mirror found in apt sources"; exit 1; }
    log "adding deb-src $uri trixie main"
    echo "deb-src $uri trixie main" > "$src_list"
    apt_updated=0
fi
apt_update

src="$DEPS/src"
rm -rf "$src"
mkdir -p "$src"
(cd "$src" && apt-get source -q "raft/trixie" >/dev/null 2>&1) ||
    { log "apt-get source raft/trixie failed"; exit 1; }
tree="$src/raft-$RAFT_VERSION"
[ -d "$tree" ] || { log "raft-$RAFT_VERSION not found after apt-get source"; exit 1; }
for p in "${PATCHES[@]}"; do
    (cd "$tree" && patch -p1 -s < "$p") || { log "patch $p failed"; exit 1; }
done
(cd "$tree" && autoreconf -i >/dev/null 2>&1)

build_one() { # prefix, extra configure flags...
    local prefix=$1; shift
    # raft's generated include/raft.h is found relative to src/, so it only
    # builds in-tree: one copy of the patched tree per flavour.
    local b="$src/build-$(basename "$prefix")"
    rm -rf "$b" "$prefix"
    cp -a "$tree" "$b"
    log "building raft $RAFT_VERSION into $prefix $*"
    (cd "$b" && ./configure -q --enable-uv --disable-example \
        --disable-benchmark --prefix="$prefix" "$@" >/dev/null &&
     make -s -j"$(nproc)" >/dev/null 2>&1 && make -s install >/dev/null) ||
        { log "raft build failed in $b"; exit 1; }
    echo "$RAFT_VERSION $(patch_sum)" > "$prefix/.slot-stamp"
}
build_one "$DEPS/raft"
build_one "$DEPS/raft-debug" --enable-debug
log "raft $RAFT_VERSION ready"
