#!/usr/bin/env bash
# Loads the demo hospital into a running cluster through the import path:
# slotctl rules set (the hospital, then the ophthalmology override) and
# slotctl schedule import (node/demo/schedule.sh writes the files). `make
# cluster` runs it; tests run it against their own clusters.
#
#   node/demo/load.sh [--cluster ADDR,...] [--slotctl PATH] [--dir DIR]
#                     [--today YYYY-MM-DD]
#
# Idempotent: rule sets carry idempotency keys named after the date (a
# second set would be a new version), and an import leaves pools that
# exist as defined alone, so loading twice on one day changes nothing.
# Prints what it loaded; exits non-zero (with slotctl's error) if anything
# was refused.
set -u
here=$(cd "$(dirname "$0")" && pwd)
slotctl="$here/../../build/rel/bin/slotctl"
cluster=""
dir=""
today=""
while [ $# -gt 0 ]; do
    case $1 in
    --cluster) cluster=$2; shift 2 ;;
    --slotctl) slotctl=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --today) today=$2; shift 2 ;;
    *)
        echo "usage: load.sh [--cluster L] [--slotctl PATH] [--dir DIR]" \
            "[--today YYYY-MM-DD]" >&2
        exit 2
        ;;
    esac
done
[ -n "$dir" ] || dir=$(mktemp -d /tmp/slot-demo.XXXXXX)
ctl=("$slotctl" --timeout 10000)
[ -z "$cluster" ] || ctl+=(--cluster "$cluster")

summary=$("$here/schedule.sh" "$dir" $today) || exit 1
[ -n "$today" ] || today=$(sed -n 's/.*"days": \["\([0-9-]*\)".*/\1/p' \
                           "$dir/templates.json" | head -n 1)
field() { sed -n "s/^$1: //p" | head -n 1; }

out=$("${ctl[@]}" rules set pumch "$dir/rules.json" --operator demo \
      --reason "demo: PUMCH booking rules (09:00, 7 days, 15:00 cut-off)" \
      --idem-key "demo-rules-$today") || { echo "$out" >&2; exit 1; }
version=$(field version <<<"$out")
out=$("${ctl[@]}" rules set pumch "$dir/rules-ophthalmology.json" \
      --department ophthalmology --operator demo \
      --reason "demo: ophthalmology releases 3 days ahead" \
      --idem-key "demo-rules-oph-$today") || { echo "$out" >&2; exit 1; }
oph_version=$(field version <<<"$out")
# No key here: an import is idempotent by itself, and its answer then says
# what this run did (created / unchanged), not what the first run did.
out=$("${ctl[@]}" schedule import "$dir/templates.json") ||
    { echo "$out" >&2; exit 1; }
created=$(field created <<<"$out")
unchanged=$(field unchanged <<<"$out")

last=$(date -u -d "$today + 7 days" +%F)
cat <<TXT
Demo schedule loaded through slotctl rules set + schedule import
(files in $dir):
  hospital pumch (北京协和医院), UTC+08:00, rules v$version: new days open at 09:00
    for the day 7 days ahead; online booking for tomorrow closes at 15:00;
    5 minutes to pay; 114 gets 30 %, online (app, wechat, bank, kiosk) 60 %,
    the rest is the window's and the doctors' (90 days ahead, same day);
    unsold 114/online slots flow back to them at 15:00 the day before;
    special clinics: app, window and doctors only; normal clinics are
    paid at the visit (confirm without a payment reference).
  ophthalmology overrides: 3 days ahead (rules v$oph_version)
  $today .. $last, half-hour segments 08:00-11:30 and 13:30-16:30:
TXT
while read -r id kind fee pools; do
    printf '    %-38s %-10s %4d yuan %4d pools\n' "$id" "$kind" \
        $((fee / 100)) "$pools"
done <<<"$summary"
echo "  $((created + unchanged)) pools in 12 templates: $created created," \
     "$unchanged already there"
