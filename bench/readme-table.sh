#!/usr/bin/env bash
# bench/readme-table.sh: README.md's figures table, generated from a run set.
#
#   bench/readme-table.sh [DIR [README]]          rewrite the table
#   bench/readme-table.sh --check [DIR [README]]  compare, fail on a difference
#
# DIR: the run set's results (bench/results); README: README.md. The table
# is what `slotbench readme DIR` prints (bench/slotbench/readme.h); it sits
# in README between the lines `<!-- bench:begin -->` and `<!-- bench:end -->`,
# which must each appear exactly once. `make bench` rewrites it; `make test`
# runs --check (suite readme-table), which fails when README's table is not
# what the committed results give: a figure typed or edited by hand, a
# result file changed after its run set was sealed (content hash), or a
# file of another run set.
set -u
cd "$(dirname "$0")/.." || exit 2
check=0
if [ "${1:-}" = --check ]; then
    check=1
    shift
fi
DIR=${1:-bench/results}
README=${2:-README.md}
SB=build/rel/bin/slotbench
BEGIN='<!-- bench:begin -->'
END='<!-- bench:end -->'

fail() {
    printf 'readme-table: %s\n' "$*" >&2
    [ $check = 1 ] && echo "readme-table: 0 passed, 1 failed"
    exit 1
}

[ -x "$SB" ] || fail "$SB is not built (make $SB)"
[ -f "$README" ] || fail "$README not found"
nb=$(grep -cxF -- "$BEGIN" "$README")
ne=$(grep -cxF -- "$END" "$README")
[ "$nb" = 1 ] && [ "$ne" = 1 ] ||
    fail "$README needs one line '$BEGIN' and one '$END' (found $nb and $ne)"
tmp=$(mktemp /tmp/readme-table.XXXXXX)
trap 'rm -f "$tmp" "$tmp.new" "$tmp.old"' EXIT
"$SB" readme "$DIR" > "$tmp" || fail "no run set in $DIR (slotbench readme failed)"

if [ $check = 1 ]; then
    awk -v b="$BEGIN" -v e="$END" '$0 == e { on = 0 } on { print } $0 == b { on = 1 }' \
        "$README" > "$tmp.old"
    if ! diff -u --label "$README (between the markers)" \
            --label "slotbench readme $DIR" "$tmp.old" "$tmp"; then
        fail "$README's figures differ from what $DIR gives (above); run bench/readme-table.sh to regenerate, or find why a result changed"
    fi
    echo "readme-table: 1 passed, 0 failed"
    exit 0
fi
awk -v b="$BEGIN" -v e="$END" -v f="$tmp" '
    $0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
    $0 == e { skip = 0 }
    !skip { print }' "$README" > "$tmp.new" || fail "cannot rewrite $README"
cat "$tmp.new" > "$README"
echo "readme-table: $README rewritten from $DIR" >&2
