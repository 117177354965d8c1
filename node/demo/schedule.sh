#!/usr/bin/env bash
# The demo hospital's rules and schedule as JSON files, dates relative to
# today (the hospital's local date, UTC+08:00), for slotctl's rules set and
# schedule import (the same shapes as slot-gateway's admin endpoints).
#
#   node/demo/schedule.sh OUTDIR [TODAY]     TODAY: YYYY-MM-DD (default:
#                                            today in Beijing)
# writes OUTDIR/rules.json (the hospital), OUTDIR/rules-ophthalmology.json
# (a department override) and OUTDIR/templates.json (12 templates, 832
# pools), and prints one line per template: "PREFIX KIND FEE_CENTS POOLS".
#
# The hospital follows what Beijing hospitals publish about booking
# (../shared/seeds/000_*.txt): PUMCH (北京协和医院), two campuses (东单,
# 西单), new days released at 09:00 for the day 7 days ahead, online
# booking for tomorrow closing at 15:00 today, 5 minutes to pay, 30 % of
# each segment to the 114 platform and 60 % to one online bucket (app,
# WeChat, bank apps, kiosks), the rest kept for the hall's window and the
# doctors' workstations (return visits up to 90 days ahead); unsold 114
# and online slots flow back to the hall at 15:00 the day before. Special
# clinics (特需) are booked on the app or in the hall only. Fees are the
# medical service fees of Beijing's 2017 reform: normal 50 yuan, expert
# 80, top expert 100; special 300.
set -eu
out=${1:?usage: schedule.sh OUTDIR [YYYY-MM-DD]}
# Beijing has no daylight saving time: local = UTC + 8 h, no tz database.
today=${2:-$(date -u -d "@$(($(date +%s) + 8 * 3600))" +%Y-%m-%d)}
date -u -d "$today" +%F >/dev/null 2>&1 || {
    echo "schedule.sh: '$today' is not a date" >&2
    exit 2
}
mkdir -p "$out"
days=8 # today and the 7 days the horizon reaches

# rules OUT HORIZON: the hospital's rule set (a department override is a
# whole rule set too, with its own horizon).
rules() {
    cat >"$1" <<JSON
{
  "utc_offset": "+08:00",
  "release_time": "09:00",
  "horizon_days": $2,
  "cutoff_time": "15:00",
  "pay_ttl_ms": 300000,
  "pay_ttl_max_ms": 300000,
  "flow_back": {"days_before": 1, "time": "15:00", "to": ""},
  "groups": [
    {"name": "online", "channels": ["app", "wechat", "bank", "kiosk"]}
  ],
  "policies": [
    {"channel": "doctor", "horizon_days": 90, "cutoff": false,
     "same_day": true},
    {"channel": "window", "horizon_days": 0, "cutoff": false,
     "same_day": true},
    {"channel": "*", "horizon_days": 0, "cutoff": true, "same_day": false}
  ],
  "eligibility": [
    {"department": "", "kind": "special",
     "channels": ["app", "window", "doctor"]}
  ],
  "quota": {"day_normal": 3, "day_expert": 2, "dept_expert": 1,
            "month_normal": 12, "month_expert": 4, "per_account": true},
  "cancel": {"days_before": 1, "time": "15:00", "same_day": true,
             "limit_per_day": 3},
  "blacklist": {"threshold": 3, "window_days": 90, "days": 90,
                "exempt": "window", "unpaid_is_violation": false,
                "late_cancel_ms": 0},
  "cooldown_ms": [120000, 600000],
  "account_channels": "",
  "visit": {"checkin_before_ms": 3600000, "checkin_late_ms": 1800000,
            "noshow_sweep": true}
}
JSON
}
rules "$out/rules.json" 7
# Ophthalmology releases only 3 days ahead (as some hospitals' apps do).
rules "$out/rules-ophthalmology.json" 3

day_list=""
for d in $(for ((i = 0; i < days; i++)); do echo "$today + $i days"; done |
           date -u -f - +%F); do
    day_list+="${day_list:+, }\"$d\""
done
# Half-hour segments: mornings 08:00-11:30 (7), afternoons 13:30-16:30 (6).
# segs FROM_MIN COUNT CAPACITY appends them to $seg_json (printf -v: no
# subshell per segment).
segs() {
    local m=$1 k start end
    for ((k = 0; k < $2; k++, m += 30)); do
        printf -v start %02d:%02d $((m / 60)) $((m % 60))
        printf -v end %02d:%02d $(((m + 30) / 60)) $(((m + 30) % 60))
        seg_json+="${seg_json:+, }{\"start\": \"$start\", \"end\": \"$end\""
        seg_json+=", \"capacity\": $3}"
    done
}
AM=(480 7)
PM=(810 6)

first=1
echo "[" >"$out/templates.json"
# template CAMPUS DEPARTMENT DOCTOR KIND FEE PAY SHARES CAPACITY HALF...
template() {
    local campus=$1 dep=$2 doctor=$3 kind=$4 fee=$5 pay=$6 shares=$7 cap=$8
    shift 8
    local id="pumch/$campus/$dep/${doctor:-normal}" n=0 half
    seg_json=""
    for half in "$@"; do
        local -n h=$half
        segs "${h[0]}" "${h[1]}" "$cap"
        n=$((n + h[1]))
    done
    [ $first = 1 ] || echo "," >>"$out/templates.json"
    first=0
    cat >>"$out/templates.json" <<JSON
{"id_prefix": "$id", "hospital": "pumch", "campus": "$campus",
 "department": "$dep", "doctor": "$doctor", "kind": "$kind",
 "fee_cents": $fee, "pay_mode": "$pay", "visit_slot_ms": 0,
 "shares": [$shares], "eligible": [], "remainder_allow": ["window", "doctor"],
 "days": [$day_list],
 "segments": [$seg_json]}
JSON
    echo "$id $kind $fee $((n * days))"
}
STD='{"channel": "114", "permille": 300},'
STD+=' {"channel": "online", "permille": 600}'
APP='{"channel": "app", "permille": 700}'

template dongdan cardiology zhang-wei top_expert 10000 online "$STD" 4 AM
template dongdan cardiology li-na expert 8000 online "$STD" 6 PM
template dongdan cardiology "" normal 5000 at_visit "$STD" 10 AM PM
template dongdan dermatology wang-fang expert 8000 online "$STD" 6 AM
template dongdan dermatology zhao-lei special 30000 online "$APP" 4 PM
template dongdan dermatology "" normal 5000 at_visit "$STD" 10 AM PM
template xidan pediatrics chen-jing top_expert 10000 online "$STD" 4 AM
template xidan pediatrics liu-yang expert 8000 online "$STD" 6 PM
template xidan pediatrics "" normal 5000 at_visit "$STD" 10 AM PM
template xidan ophthalmology sun-li expert 8000 online "$STD" 6 AM
template xidan ophthalmology zhou-min special 30000 online "$APP" 4 PM
template xidan ophthalmology "" normal 5000 at_visit "$STD" 10 AM PM
echo "]" >>"$out/templates.json"
