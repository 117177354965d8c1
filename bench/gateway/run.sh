#!/usr/bin/env bash
# bench/gateway/run.sh: slot-gateway throughput with wrk (`make bench-gateway`).
#
# Starts a 3-node slotd cluster and one slot-gateway on this machine
# (127.0.0.1, ports from BASE, default 27000: raft BASE+1..3, clients
# BASE+101..103, gateway BASE+80), then three wrk runs over keep-alive
# connections:
#   1. hold decisions: hold.lua, every request a hold for a new patient on
#      one hot pool of 100000 slots (201 held, then 409 SOLD_OUT: both are
#      decisions of the ledger);
#   2. bookings: booking.lua, hold then confirm, over 4 pools;
#   3. the shim's ceiling: hold.lua with one patient, refused by the
#      per-patient rate limit before the cluster (429).
# Statuses are counted from the gateway's /metrics. Stops everything it
# started, by pid. Knobs (environment):
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN="$ROOT/build/rel/bin"
BASE=${BASE:-27000}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-256}
THREADS=${THREADS:-2}
ACCESS_LOG=${ACCESS_LOG:-1}
DIR=$(mktemp -d /tmp/slot-bench-gw.XXXXXX)
GW_PORT=$((BASE + 80))
pids=()

keep_dir=""
stop_all() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    if [ -n "$keep_dir" ]; then echo "logs kept in $DIR" >&2; else rm -rf "$DIR"; fi
}
trap stop_all EXIT INT TERM

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
for f in slotd slot-gateway; do
    [ -x "$BIN/$f" ] || { echo "build $BIN/$f first (make bench-gateway)" >&2; exit 1; }
done
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in $((BASE + 1)) $((BASE + 2)) $((BASE + 3)) $((BASE + 101)) $((BASE + 102)) \
         $((BASE + 103)) $GW_PORT; do
    if port_busy "$p"; then echo "port $p is in use; set BASE=..." >&2; exit 1; fi
done

boot=""
for i in 1 2 3; do
    boot="$boot${boot:+,}$i=127.0.0.1:$((BASE + i))/127.0.0.1:$((BASE + 100 + i))"
done
for i in 1 2 3; do
    "$BIN/slotd" --id "$i" --dir "$DIR/n$i" --raft "127.0.0.1:$((BASE + i))" \
        --listen "127.0.0.1:$((BASE + 100 + i))" --bootstrap "$boot" \
        >"$DIR/n$i.log" 2>&1 &
    pids+=($!)
done
log="$DIR/access.log"
[ "$ACCESS_LOG" = 0 ] && log=""
cat >"$DIR/gw.conf" <<CONF
{"listen": "127.0.0.1:$GW_PORT",
 "cluster": "127.0.0.1:$((BASE + 101)),127.0.0.1:$((BASE + 102)),127.0.0.1:$((BASE + 103))",
 "tokens": {"bench-app-token-1": "app", "bench-admin-token": "admin"},
 "access_log": "$log",
 "limits": {"inflight_max": 4096}}
CONF
"$BIN/slot-gateway" --config "$DIR/gw.conf" >"$DIR/gw.out" 2>"$DIR/gw.err" &
gw=$!
pids+=($gw)

url="http://127.0.0.1:$GW_PORT"
ok=""
for _ in $(seq 200); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/healthz")" = 200 ]; then ok=1; break; fi
    sleep 0.1
done
[ -n "$ok" ] || { echo "cluster/gateway not healthy" >&2; keep_dir=1; exit 1; }
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/v1/pools" \
       -H 'Authorization: Bearer bench-admin-token' \
       -d '{"pool":"bench/hot","capacity":100000,"kind":"expert"}')
[ "$code" = 201 ] || { echo "pool create: $code" >&2; exit 1; }

echo "slot-gateway benchmark: $(nproc) cores, 3 slotd + 1 gateway + wrk on one machine"
echo "wrk -t$THREADS -c$CONNS -d$DURATION, hold.lua (one hot pool of 100000 slots, keep-alive)"
echo "access log: $([ -n "$log" ] && echo on || echo off)"
TIMEFORMAT='wrk CPU (user+sys s): %U + %S'
holds() { # count of create_hold responses with status $1 so far
    curl -s "$url/metrics" | awk -v st="$1" '
        /^slot_gateway_requests_total\{route="create_hold"/ && $0 ~ "status=\"" st "\"" { n += $2 }
        END { print n + 0 }'
}
all_before=$(holds '[0-9a-z]*'); ok_before=$(holds 201); so_before=$(holds 409)
{ time POOL='bench%2Fhot' RUN=r wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency \
    -s "$ROOT/bench/gateway/hold.lua" "$url"; } 2>&1 | tee "$DIR/wrk.out"
all=$(($(holds '[0-9a-z]*') - all_before)); ok=$(($(holds 201) - ok_before))
so=$(($(holds 409) - so_before))
secs=$(sed -n 's/.* requests in \([0-9.]*\)s.*/\1/p' "$DIR/wrk.out")
echo "holds answered: $all (201 held: $ok, 409 sold out: $so, other: $((all - ok - so)))"
awk -v d=$((ok + so)) -v s="$secs" 'BEGIN { printf "hold decisions/s: %.0f\n", d / s }'
cpu() { awk '{printf "%.2f + %.2f", $14 / 100, $15 / 100}' "/proc/$1/stat"; }
echo "gateway CPU (user+sys s): $(cpu "$gw")"
for i in 1 2 3; do
    echo "slotd $i CPU (user+sys s): $(cpu "${pids[$((i - 1))]}")"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
# The whole booking: hold, then confirm (which reads the claim to check its
# channel, then writes): bookings/s.
if [ "${BOOKING:-1}" = 1 ]; then
    for k in 0 1 2 3; do
        curl -s -o /dev/null -X POST "$url/v1/pools" -H 'Authorization: Bearer bench-admin-token' \
            -d "{\"pool\":\"bench/book-$k\",\"capacity\":100000}"
    done
    count() { # create_hold / confirm_hold responses with status $2 so far
        curl -s "$url/metrics" | awk -v r="$1" -v st="$2" '
            $0 ~ "^slot_gateway_requests_total\\{route=\"" r "\",status=\"" st "\"" { n += $2 }
            END { print n + 0 }'
    }
    b0=$(count confirm_hold 200); h0=$(count create_hold 201)
    echo "booking flow (hold + confirm, 4 pools of 100000), $DURATION:"
    POOLS=4 RUN=k wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" \
        -s "$ROOT/bench/gateway/booking.lua" "$url" | tee "$DIR/book.out" |
        grep -E 'requests in|Requests/sec|latency ms|Non-2xx'
    secs=$(sed -n 's/.* requests in \([0-9.]*\)s.*/\1/p' "$DIR/book.out")
    b=$(($(count confirm_hold 200) - b0)); h=$(($(count create_hold 201) - h0))
    awk -v b="$b" -v h="$h" -v s="$secs" \
        'BEGIN { printf "bookings/s: %.0f (confirmed %d of %d holds)\n", b / s, b, h }'
fi
# The shim alone: the same requests for one patient, refused by the
# per-patient rate limit (parsed, authenticated, validated, answered 429)
# without a cluster round trip.
if [ "${SHIM:-1}" = 1 ]; then
    echo "shim ceiling (one patient: 429 RATE_LIMITED before the cluster), 5 s:"
    FIXED=1 POOL='bench%2Fhot' RUN=s wrk -t"$THREADS" -c"$CONNS" -d5s \
        -s "$ROOT/bench/gateway/hold.lua" "$url" | grep -E 'Requests/sec|latency ms'
fi
curl -s "$url/v1/pools/bench%2Fhot" -H 'Authorization: Bearer bench-app-token-1'; echo
