#!/usr/bin/env bash
# `make cluster`: a local 3-node cluster on 127.0.0.1 with a demo schedule.
#
#   raft ports 7001-7003, client ports 7101-7103 (slotctl's defaults),
#   slot-gateway on http://127.0.0.1:8080 when it is built,
#   data under a fresh directory (printed; CLUSTER_DIR=... to choose).
#
# Ctrl-C (or SIGTERM) stops everything this script started, by pid.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/build/rel/bin"
DIR=${CLUSTER_DIR:-$(mktemp -d /tmp/slot-cluster.XXXXXX)}
mkdir -p "$DIR"
SLOTCTL=("$BIN/slotctl" --cluster 127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103)
BOOT="1=127.0.0.1:7001/127.0.0.1:7101,2=127.0.0.1:7002/127.0.0.1:7102,3=127.0.0.1:7003/127.0.0.1:7103"
pids=()

stop_all() {
    trap - INT TERM EXIT
    echo
    echo "stopping ${#pids[@]} processes..."
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    echo "stopped; data kept in $DIR"
    exit 0
}
trap stop_all INT TERM EXIT

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in 7001 7002 7003 7101 7102 7103; do
    if port_busy "$port"; then
        echo "port $port is in use (another cluster running?); stop it first" >&2
        exit 1
    fi
done

for i in 1 2 3; do
    "$BIN/slotd" --id "$i" --dir "$DIR/node$i" --raft "127.0.0.1:700$i" \
        --listen "127.0.0.1:710$i" --bootstrap "$BOOT" >"$DIR/node$i.log" 2>&1 &
    pids+=($!)
done

leader=""
for _ in $(seq 100); do
    leader=$("${SLOTCTL[@]}" --timeout 300 status --json 2>/dev/null |
             sed -n 's/.*"leader": *\([0-9][0-9]*\).*/\1/p')
    [ -n "$leader" ] && [ "$leader" != 0 ] && break
    sleep 0.1
done
if [ -z "$leader" ] || [ "$leader" = 0 ]; then
    echo "no leader after 10 s; logs in $DIR" >&2
    exit 1
fi

# Demo schedule: next week's expert and normal clinics, released now, plus
# one pool that opens at the next 09:00 (scheduled).
day=$(date -u -d '+7 days' +%Y-%m-%d)
now_ms=$(($(date +%s) * 1000))
nine_ms=$(($(date -u -d 'tomorrow 09:00' +%s) * 1000))
seg() { echo $(($(date -u -d "$day $1" +%s) * 1000)); }
mkpool() { # id capacity kind fee_cents start end release_ms
    "${SLOTCTL[@]}" pool create "$1" --capacity "$2" --kind "$3" --fee-cents "$4" \
        --seg-start-ms "$(seg "$5")" --seg-end-ms "$(seg "$6")" --release-at-ms "$7" \
        --share "114=$(($2 * 3 / 10))" --share "app=$(($2 / 2))" >/dev/null ||
        echo "warning: could not create pool $1" >&2
}
mkpool "PUMCH/east/cardiology/dr-wang/$day/AM-1" 30 expert 10000 08:00 10:00 "$now_ms"
mkpool "PUMCH/east/cardiology/dr-wang/$day/PM-1" 30 expert 10000 14:00 16:00 "$now_ms"
mkpool "PUMCH/east/cardiology/dr-li/$day/AM-1" 50 normal 5000 08:00 11:30 "$now_ms"
mkpool "PUMCH/west/pediatrics/dr-zhao/$day/AM-1" 40 normal 5000 08:00 11:30 "$now_ms"
mkpool "PUMCH/west/pediatrics/dr-zhao/$day/PM-1" 40 special 20000 14:00 17:00 "$nine_ms"

gateway=""
if [ -x "$BIN/slot-gateway" ] && [ -f "$ROOT/client/gateway/demo.conf" ]; then
    "$BIN/slot-gateway" --config "$ROOT/client/gateway/demo.conf" >"$DIR/gateway.log" 2>&1 &
    pids+=($!)
    gateway="http://127.0.0.1:8080"
fi

cat <<EOF

Local slot pool cluster is up (leader: node $leader). Data and logs: $DIR

  slotctl status
  slotctl pool list
  slotctl hold PUMCH/east/cardiology/dr-wang/$day/AM-1 patient-0001 --channel app --ttl-ms 60000
  slotctl confirm HOLD_ID pay-0001
  slotctl show booking HOLD_ID

(slotctl is $BIN/slotctl; its default --cluster is these three nodes.)
EOF
if [ -n "$gateway" ]; then
    cat <<EOF

HTTP shim: $gateway  (tokens: demo-app, demo-114, demo-window; admin: demo-admin)
  curl -s -H 'Authorization: Bearer demo-app' -d '{"patient":"patient-0002","ttl_ms":60000}' \\
       $gateway/v1/pools/PUMCH%2Feast%2Fcardiology%2Fdr-wang%2F$day%2FAM-1/holds
EOF
else
    echo
    echo "(slot-gateway is not built yet, so no HTTP shim on :8080)"
fi
echo
echo "Ctrl-C stops everything."
wait
