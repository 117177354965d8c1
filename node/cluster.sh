#!/usr/bin/env bash
# `make cluster`: a local 3-node cluster on 127.0.0.1 with a demo schedule.
#
#   raft ports 7001-7003, client ports 7101-7103 (slotctl's defaults),
#   slot-gateway on http://127.0.0.1:8080 when it is built,
#   slot-archiver following the event feed into DIR/archive,
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

# Demo schedule: one Beijing hospital's rules and 8 days of clinics,
# loaded the way an operator would (slotctl rules set + schedule import;
# node/demo/load.sh, which the tests run too).
demo=$("$ROOT/node/demo/load.sh" --slotctl "$BIN/slotctl" \
       --dir "$DIR/demo" 2>&1) ||
    demo="warning: the demo schedule was not loaded:
$demo"
# Example dates, the hospital's (Beijing, UTC+08:00: no daylight saving).
bj_now=$(($(date +%s) + 8 * 3600))
today=$(date -u -d "@$bj_now" +%F)
bj_hour=$(date -u -d "@$bj_now" +%-H)
d2=$(date -u -d "$today + 2 days" +%F)
ymd() { date -u -d "$today + $1 days" +%Y%m%d; }
if [ "$bj_hour" -lt 9 ]; then
    d7_note="NOT_RELEASED until 09:00 Beijing time"
else
    d7_note="released at 09:00 Beijing time today"
fi
if [ "$bj_hour" -lt 15 ]; then
    d1_note="open to the app until 15:00 Beijing time (then BOOKING_CLOSED)"
else
    d1_note="BOOKING_CLOSED for the app since 15:00 (the window still books)"
fi

# The audit archive: the feed from seq 1 into daily files (slotctl audit).
archive=""
if [ -x "$BIN/slot-archiver" ]; then
    "$BIN/slot-archiver" --cluster 127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103 \
        --dir "$DIR/archive" --interval-ms 500 >"$DIR/archiver.log" 2>&1 &
    pids+=($!)
    archive="$DIR/archive"
fi

gateway=""
if [ -x "$BIN/slot-gateway" ] && [ -f "$ROOT/client/gateway/demo.conf" ]; then
    "$BIN/slot-gateway" --config "$ROOT/client/gateway/demo.conf" >"$DIR/gateway.log" 2>&1 &
    pids+=($!)
    gateway="http://127.0.0.1:8080"
fi

cat <<EOF

Local slot pool cluster is up (leader: node $leader). Data and logs: $DIR

$demo

Try it (slotctl is $BIN/slotctl; its default --cluster is these nodes):
  # browse: cardiology on $d2 (--stale: any node's state, labelled)
  slotctl --stale pools query pumch --department cardiology --from $d2 --to $d2
  # hold through the app (the hospital's 5-minute payment window), then pay
  slotctl hold pumch/dongdan/cardiology/li-na/$(ymd 2)/1400 patient-0001 --channel app
  slotctl confirm HOLD_ID pay-0001
  slotctl show booking HOLD_ID      # visit number, its time window, paid
  # a normal clinic is paid at the visit: confirm without a reference
  slotctl hold pumch/dongdan/cardiology/normal/$(ymd 3)/0800 patient-0002 --channel wechat
  slotctl confirm HOLD_ID
  # the rules at work (slotctl rules get pumch; slotctl rules log pumch)
  slotctl hold pumch/dongdan/cardiology/normal/$(ymd 0)/1600 patient-0003 --channel app
      # BOOKING_CLOSED: no same-day online booking (--channel window works)
  slotctl hold pumch/dongdan/cardiology/normal/$(ymd 1)/1600 patient-0003 --channel app
      # tomorrow: $d1_note
  slotctl hold pumch/dongdan/cardiology/zhang-wei/$(ymd 7)/0800 patient-0004 --channel app
      # 7 days ahead: $d7_note
  slotctl hold pumch/xidan/ophthalmology/sun-li/$(ymd 5)/0800 patient-0005 --channel app
      # OUTSIDE_HORIZON: ophthalmology books 3 days ahead
  # the patient rules: 3 normal clinics a day, bound accounts, a waitlist
  for t in 0800 0830 0900 0930; do
    slotctl hold pumch/dongdan/cardiology/normal/$(ymd 3)/\$t patient-0007 --channel wechat
  done  # the fourth: QUOTA_EXCEEDED (day_normal)
  slotctl account bind family-0001 patient-0007
  slotctl patient info patient-0007  # claims, account, violations, standing
  # the visit day: check in from an hour before the segment (by 30 minutes
  # before its end, else the no-show sweep marks the booking)
  slotctl checkin BOOKING_ID patient-0001
  # a doctor stops a clinic: who to tell, then a move or a refund
  slotctl stop pumch/dongdan/cardiology/li-na/$(ymd 2)/1400 --operator ops@pumch --reason "doctor ill"
  slotctl pool-claims pumch/dongdan/cardiology/li-na/$(ymd 2)/1400
  slotctl move BOOKING_ID pumch/dongdan/cardiology/li-na/$(ymd 2)/1500
  slotctl cancel BOOKING_ID          # or a refund: no deadline, no penalty
  # every change in commit order, and the archive of it (slot-archiver)
  slotctl events --after 0 --limit 20
  slotctl audit patient patient-0001 --dir ${archive:-ARCHIVE_DIR}
EOF
if [ -n "$gateway" ]; then
    cat <<EOF

HTTP shim: $gateway  (tokens: demo-app, demo-114, demo-window; admin: demo-admin)
Operator console: $gateway/console  (sign in with demo-admin)
  curl -s -H 'Authorization: Bearer demo-app' \\
       '$gateway/v1/pools?hospital=pumch&department=cardiology&date_from=$d2&date_to=$d2&stale=1'
  curl -s -H 'Authorization: Bearer demo-app' -d '{"patient":"patient-0006","ttl_ms":300000}' \\
       $gateway/v1/pools/pumch%2Fdongdan%2Fcardiology%2Fli-na%2F$(ymd 2)%2F1430/holds
EOF
else
    echo
    echo "(slot-gateway is not built yet, so no HTTP shim on :8080)"
fi
echo
echo "Ctrl-C stops everything."
wait
