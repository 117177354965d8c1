#!/usr/bin/env bash
# `make deb`: Debian packages from the release build, with dpkg-deb.
#
#   node/deb/build.sh OUTDIR VERSION SLOTD SLOTCTL GATEWAY ARCHIVER LIBSO LIBA
#
# OUTDIR/*.deb: slotd, slot-gateway (+ slot-archiver), libslot5,
# libslot-dev, slotctl. VERSION comes from node/deb/VERSION (the
# Makefile reads it), the architecture from dpkg, Depends from
# dpkg-shlibdeps over each package's ELF files. Binaries are stripped (no
# separate debug package). Files under etc/ are conffiles. SLOTD is the
# slotd linked with the patched raft built in (node/deb/module.mk).
set -euo pipefail
[ $# = 8 ] || { echo "usage: $0 OUTDIR VERSION SLOTD SLOTCTL GATEWAY ARCHIVER LIBSO LIBA" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$1 VERSION=$2 SLOTD=$3 SLOTCTL=$4 GATEWAY=$5 ARCHIVER=$6 LIBSO=$7 LIBA=$8
ARCH=$(dpkg --print-architecture)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)
MAINTAINER="slot ledger developers <root@localhost>"
SOVERSION=5

STAGE="$OUT/stage"
rm -rf "$STAGE" "$OUT"/*.deb
mkdir -p "$STAGE"

# put SRC DEST MODE: a file into a package's tree.
put() { install -D -m "$3" "$1" "$2"; }
# bin SRC DEST: a stripped executable.
bin() { put "$1" "$2" 0755; strip --strip-all "$2"; }

# shlibdeps FILE...: the Depends that dpkg-shlibdeps computes for them.
# It wants a debian/control beside it; a scratch one is enough.
shlibdeps() {
    local d
    d=$(mktemp -d)
    mkdir "$d/debian"
    printf 'Source: slot\n\nPackage: slot\nArchitecture: any\n' > "$d/debian/control"
    local files=()
    for f in "$@"; do files+=("$(readlink -f "$f")"); done
    local out
    out=$(cd "$d" && dpkg-shlibdeps -O "${files[@]}" 2> "$d/err") ||
        { cat "$d/err" >&2; rm -rf "$d"; return 1; }
    rm -rf "$d"
    out=$(sed -n 's/^shlibs:Depends=//p' <<< "$out")
    [ -n "$out" ] || { echo "build.sh: no Depends for $*" >&2; return 1; }
    echo "$out"
}

# finish PKG DEPENDS SECTION DESCRIPTION [EXTRA-FIELDS]: DEBIAN/control
# (+ conffiles, md5sums), then the .deb.
finish() {
    local pkg=$1 depends=$2 section=$3 desc=$4 extra=${5:-}
    local dir="$STAGE/$pkg"
    mkdir -p "$dir/DEBIAN"
    local size
    size=$(du -sk --exclude=DEBIAN "$dir" | cut -f1)
    {
        echo "Package: $pkg"
        echo "Source: slot"
        echo "Version: $VERSION"
        echo "Architecture: $ARCH"
        echo "Maintainer: $MAINTAINER"
        echo "Installed-Size: $size"
        [ -n "$depends" ] && echo "Depends: $depends"
        [ -n "$extra" ] && printf '%s\n' "$extra"
        echo "Section: $section"
        echo "Priority: optional"
        printf 'Description: %s\n' "$desc"
    } > "$dir/DEBIAN/control"
    if [ -d "$dir/etc" ]; then
        (cd "$dir" && find etc -type f | sort | sed 's|^|/|') > "$dir/DEBIAN/conffiles"
    fi
    (cd "$dir" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' |
        sort | xargs -r md5sum) > "$dir/DEBIAN/md5sums"
    dpkg-deb --root-owner-group -Zxz --build "$dir" \
        "$OUT/${pkg}_${VERSION}_${ARCH}.deb" > /dev/null
    echo "  DEB   $OUT/${pkg}_${VERSION}_${ARCH}.deb"
}

# scripts PKG: its maintainer scripts, with the user creation spliced in.
scripts() {
    local pkg=$1 s
    mkdir -p "$STAGE/$pkg/DEBIAN"
    for s in postinst prerm postrm; do
        [ -f "$HERE/scripts/$pkg.$s" ] || continue
        awk -v inc="$HERE/scripts/adduser.sh" '
            /^#ADDUSER#$/ { while ((getline l < inc) > 0) print "    " l; next }
            { print }' "$HERE/scripts/$pkg.$s" > "$STAGE/$pkg/DEBIAN/$s"
        chmod 0755 "$STAGE/$pkg/DEBIAN/$s"
    done
}

doc() { # PKG: node/deb/README.Debian into its doc directory
    put "$HERE/README.Debian" "$STAGE/$1/usr/share/doc/$1/README.Debian" 0644
}

# --- slotd ------------------------------------------------------------------
P="$STAGE/slotd"
bin "$SLOTD" "$P/usr/sbin/slotd"
put "$HERE/units/slotd@.service" "$P/lib/systemd/system/slotd@.service" 0644
put "$HERE/etc/slotd.conf" "$P/etc/slot/slotd.conf" 0644
doc slotd
scripts slotd
dep=$(shlibdeps "$P/usr/sbin/slotd")
finish slotd "$dep, adduser" net \
    "slot ledger node (slotd)
 One node of the regional appointment slot pool: a Raft replica (the
 patched raft 0.22.1 linked in) of the slot ledger, serving libslot
 clients. systemd unit slotd@ID.service, one per node id."

# --- slot-gateway (+ slot-archiver) -------------------------------------------
P="$STAGE/slot-gateway"
bin "$GATEWAY" "$P/usr/sbin/slot-gateway"
bin "$ARCHIVER" "$P/usr/sbin/slot-archiver"
put "$HERE/units/slot-gateway.service" "$P/lib/systemd/system/slot-gateway.service" 0644
put "$HERE/units/slot-archiver.service" "$P/lib/systemd/system/slot-archiver.service" 0644
put "$HERE/etc/archiver.conf" "$P/etc/slot/archiver.conf" 0644
put "$HERE/make-gateway-config" "$P/usr/share/slot-gateway/make-gateway-config" 0755
doc slot-gateway
scripts slot-gateway
dep=$(shlibdeps "$P/usr/sbin/slot-gateway" "$P/usr/sbin/slot-archiver")
finish slot-gateway "$dep, adduser" net \
    "slot ledger HTTP gateway and audit archiver
 slot-gateway: the HTTP/JSON shim the booking channels call, over a slotd
 cluster. slot-archiver: the ledger's event feed into daily audit files.
 systemd units slot-gateway.service and slot-archiver.service."

# --- libslot5 ----------------------------------------------------------------
P="$STAGE/libslot$SOVERSION"
put "$LIBSO" "$P/usr/lib/$MA/libslot.so.$SOVERSION" 0644
strip --strip-unneeded "$P/usr/lib/$MA/libslot.so.$SOVERSION"
mkdir -p "$P/DEBIAN"
echo "libslot $SOVERSION libslot$SOVERSION (>= $VERSION)" > "$P/DEBIAN/shlibs"
echo "activate-noawait ldconfig" > "$P/DEBIAN/triggers"
dep=$(shlibdeps "$P/usr/lib/$MA/libslot.so.$SOVERSION")
finish "libslot$SOVERSION" "$dep" libs \
    "slot ledger client library
 libslot, the C client of the slot pool ledger: finds the leader,
 pipelines, retries with exactly-once semantics; sync and async API." \
    "Multi-Arch: same"

# --- libslot-dev -------------------------------------------------------------
P="$STAGE/libslot-dev"
put "$ROOT/client/libslot.h" "$P/usr/include/libslot.h" 0644
put "$ROOT/proto/slot_err.h" "$P/usr/include/slot_err.h" 0644
put "$LIBA" "$P/usr/lib/$MA/libslot.a" 0644
strip --strip-debug "$P/usr/lib/$MA/libslot.a"
ln -s "libslot.so.$SOVERSION" "$P/usr/lib/$MA/libslot.so"
mkdir -p "$P/usr/lib/$MA/pkgconfig"
sed -e 's|@PREFIX@|/usr|g' -e "s|^libdir=.*|libdir=\${exec_prefix}/lib/$MA|" \
    "$ROOT/client/slot.pc.in" > "$P/usr/lib/$MA/pkgconfig/slot.pc"
finish libslot-dev \
    "libslot$SOVERSION (= $VERSION), libuv1-dev, libmsgpack-dev, liblz4-dev" libdevel \
    "slot ledger client library (development files)
 Headers, the static library and pkg-config file (slot) of libslot." \
    "Multi-Arch: same"

# --- slotctl -----------------------------------------------------------------
P="$STAGE/slotctl"
bin "$SLOTCTL" "$P/usr/bin/slotctl"
dep=$(shlibdeps "$P/usr/bin/slotctl")
finish slotctl "$dep" admin \
    "slot ledger command line (slotctl)
 The operator's command line over libslot: cluster status and membership,
 pools, holds and bookings, hospital rules and schedules, audit."
