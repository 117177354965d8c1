#!/usr/bin/env bash
# The deb suite's real install: dpkg --root installs, removes and purges the
# packages in a private chroot, running their maintainer scripts for real,
# without touching this machine's /. Run by test_deb.sh as
#
#   unshare -m --propagation private node/deb/dpkg_cycle.sh DIR DEBDIR
#
# DIR (empty, made by the caller) becomes the chroot: a copy of /etc and
# of dpkg's database, /usr an overlay of this machine's (writes land in
# DIR/upper), two device nodes. The mount dies with the namespace; the
# caller removes DIR. Prints "ok ..." / "FAIL ..." lines; exit 3: no
# overlay here (the caller counts a skip).
set -u
TOP=$1
C=$TOP/chroot
OUT=$TOP/check.out
DEBS=$2
[ -d "$1" ] && [ -z "$(ls -A "$1")" ] || { echo "FAIL dpkg_cycle: $1 is not an empty directory"; exit 1; }
mkdir -p "$C/usr" "$C/var/lib" "$C/var/log" "$C/var/cache" "$C/run" "$C/tmp" "$C/dev" \
    "$1/upper" "$1/work"
for l in bin lib lib64 sbin; do [ -e "/$l" ] && ln -s "usr/$l" "$C/$l"; done
cp -a /etc "$C/etc"
cp -a /var/lib/dpkg "$C/var/lib/dpkg"
mknod -m 666 "$C/dev/null" c 1 3
mknod -m 666 "$C/dev/urandom" c 1 9
mount -t overlay overlay -o "lowerdir=/usr,upperdir=$1/upper,workdir=$1/work" "$C/usr" 2>/dev/null &&
    mountpoint -q "$C/usr" || exit 3

ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; }
check() {
    local d=$1; shift
    if "$@" > "$OUT" 2>&1; then ok "$d"; else bad "$d"; tail -n 15 "$OUT" | sed 's/^/     /'; fi
}
PKGS=(slotd slot-gateway libslot5 libslot-dev slotctl)

check "dpkg -i (chroot): every package, maintainer scripts run" \
    dpkg --root="$C" -i "$DEBS"/*.deb
check "postinst: system user and group slot, no login shell" bash -c \
    "l=\$(grep '^slot:' '$C/etc/passwd'); echo \"\$l\"; grep -q '^slot:' '$C/etc/group' &&
     uid=\$(cut -d: -f3 <<< \"\$l\") && [ \"\$uid\" -lt 1000 ] && [[ \$l == *:/var/lib/slot:*nologin ]]"
check "postinst: gateway.json and the secret 0640 root:slot" bash -c \
    "for f in gateway.json gateway-identity.secret; do
         [ \"\$(chroot '$C' stat -c '%a %U %G' /etc/slot/\$f)\" = '640 root slot' ] || exit 1; done"
check "chroot: slot-gateway --check accepts the written configuration" \
    chroot "$C" /usr/sbin/slot-gateway --check /etc/slot/gateway.json
check "chroot: slotd, slotctl, slot-archiver find their libraries" bash -c \
    "chroot '$C' /usr/sbin/slotd --help && chroot '$C' /usr/bin/slotctl --help &&
     ! chroot '$C' ldd /usr/sbin/slot-archiver | grep 'not found'"
check "ldconfig trigger: libslot.so.5 in the cache" bash -c \
    "chroot '$C' ldconfig -p | grep -q 'libslot.so.5 '"
mkdir -p "$C/var/lib/slot/node1" "$C/var/lib/slot/archive"
echo data > "$C/var/lib/slot/node1/raft-log"
echo 1 > "$C/var/lib/slot/archive/cursor"
check "dpkg -r (chroot): every package" dpkg --root="$C" -r "${PKGS[@]}"
check "remove: binaries gone; data, conffiles and secrets kept" bash -c \
    "[ ! -e '$C/usr/sbin/slotd' ] && [ ! -e '$C/usr/bin/slotctl' ] &&
     [ -f '$C/var/lib/slot/node1/raft-log' ] && [ -f '$C/var/lib/slot/archive/cursor' ] &&
     [ -f '$C/etc/slot/slotd.conf' ] && [ -f '$C/etc/slot/gateway.json' ]"
check "dpkg -P (chroot): slotd, slot-gateway" dpkg --root="$C" -P slotd slot-gateway
check "purge: /var/lib/slot and /etc/slot gone, the user kept" bash -c \
    "[ ! -e '$C/var/lib/slot' ] && [ ! -e '$C/etc/slot' ] && grep -q '^slot:' '$C/etc/passwd'"
check "dpkg knows none of them after the cycle" bash -c \
    "! dpkg --root='$C' -l ${PKGS[*]} 2>/dev/null | grep -E '^(ii|rc)'"
