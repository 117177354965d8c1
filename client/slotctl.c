/* slotctl: the slot pool's command line, a thin face over libslot.
 * `slotctl --help` and `slotctl COMMAND --help` document it; the text below
 * (usage strings) is the reference. Every result is built as one JSON
 * object (jansson); --json prints it on one line, otherwise it is printed
 * as "key: value" lines. Errors go to stdout as {"error":{...}} with
 * --json, else to stderr; the exit code tells the error's class. The JSON
 * of hospitals' rule sets and schedule templates (input files and output)
 * is slotctl_sched.h's.
 */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "archive.h"
#include "libslot.h"
#include "recon.h"
#include "slot_addr.h"
#include "slot_valid.h"
#include "slotctl_sched.h"

#define DEFAULT_CLUSTER   "127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103"
#define STATUS_TIMEOUT_MS 1500u
#define ARGS_MAX          64

/* Exit codes, one per error class (documented in the usage text). */
enum {
    EXIT_OK_ = 0,
    EXIT_REFUSED = 1, /* the ledger refused: codes 20-59 */
    EXIT_USAGE = 2,   /* bad command line */
    EXIT_INVALID = 3, /* invalid input: codes 1-19 */
    EXIT_SESSION = 4, /* sessions and limits: codes 60-79 */
    EXIT_CLUSTER =
        5, /* node / cluster / timeouts: 80-99, TIMEOUT, UNAVAILABLE */
    EXIT_UNKNOWN = 6, /* OUTCOME_UNKNOWN: query before retrying */
    EXIT_DIFFER = 7,  /* reconcile: the lines and the ledger differ */
    EXIT_PARTIAL = 8, /* reconcile: the feed no longer holds the day's
                       * start (the lines are incomplete) */
};

static const char usage_main[] =
    "usage: slotctl [--cluster ADDR[,ADDR...]] [--json] [--timeout MS] "
    "[--stale]\n"
    "               COMMAND [ARGS...]\n"
    "\n"
    "Commands (each takes --help):\n"
    "  status                               every node's own status\n"
    "  member add ID RAFT_ADDR/CLIENT_ADDR  add a node (as a spare)\n"
    "  member promote ID [--role ROLE]      make it a voter (or "
    "standby/spare)\n"
    "  member remove ID                     remove a node\n"
    "  member transfer [ID]                 hand leadership to ID (0: any)\n"
    "  pool create POOL --capacity N ...    create a pool\n"
    "  pool update POOL --capacity N ...    redefine a pool\n"
    "  pool show POOL                       one pool's counters\n"
    "  pool list [--after POOL] [--limit N] pools in creation order\n"
    "  pool query HOSPITAL [--department D ...]  a hospital's pools by date\n"
    "  pool close POOL                      close a pool to new holds\n"
    "  hold POOL PATIENT [--channel CH] [--ttl-ms MS] [--account A]\n"
    "  confirm HOLD [PAYMENT_REF] [--pay-method M] [--as CH ...]  book\n"
    "  release HOLD [--as CH [--account A]] give a hold back\n"
    "  cancel BOOKING [--as CH [--account A]]  cancel a booking\n"
    "  account bind|unbind ACCOUNT PATIENT  an account's patients\n"
    "  account show ACCOUNT                 its patients and changes\n"
    "  patient info PATIENT                 claims, violations, blacklists,\n"
    "                                       cancellations\n"
    "  violation add HOSPITAL PATIENT --kind K --operator N --reason T\n"
    "  unblock HOSPITAL PATIENT --operator N --reason T  lift a blacklist\n"
    "  exception HOSPITAL PATIENT --operator N --reason T  let the next\n"
    "                                       hold through a blacklist\n"
    "  staff-log [--after SEQ] [--limit N]  violations, unblocks, exceptions\n"
    "  waitlist join|leave|show POOL PATIENT  a sold-out pool's waitlist\n"
    "  stop POOL --operator N --reason T    the doctor's stoppage of a clinic\n"
    "  move BOOKING POOL [--as CH [--account A]]  move a stopped clinic's\n"
    "                                       booking to another clinic\n"
    "  checkin BOOKING PATIENT [--payment-ref REF [--pay-method M]]\n"
    "  pool-claims POOL [--after ID] [--limit N]  a pool's holds and "
    "bookings\n"
    "  events [--after SEQ] [--limit N] [--follow [--interval-ms MS]]\n"
    "                                       the ledger's event feed\n"
    "  audit patient KEY|pool POOL --dir DIR  a patient's or pool's events\n"
    "                                       from slot-archiver's archive\n"
    "  reconcile --day DAY [--archive DIR] ...  a day's money vs the ledger\n"
    "  stats --from DAY --to DAY ...        booking statistics\n"
    "  show hold ID | show booking ID | show patient POOL PATIENT | show "
    "ledger\n"
    "  config [--hold-ttl-min-ms N ...]     show or change the rule "
    "parameters\n"
    "  rules get|set|log HOSPITAL ...       a hospital's rules and their "
    "changes\n"
    "  schedule import|check FILE|-         create pools from templates\n"
    "\n"
    "Options (anywhere on the line):\n"
    "  --cluster L   client addresses of the nodes (default " DEFAULT_CLUSTER
    ")\n"
    "  --json        one JSON object per result; errors as\n"
    "                {\"error\":{\"code\":\"SOLD_OUT\",\"message\":...}}\n"
    "  --timeout MS  deadline of each request (default 5000)\n"
    "  --stale       reads: any node's local state, labelled with its applied\n"
    "                index (default: linearizable, on the leader)\n"
    "\n"
    "Exit codes: 0 ok; 1 refused by the ledger (SOLD_OUT, UNKNOWN_HOLD, ...;\n"
    "a refusal that names its rule says it in the error: quota and\n"
    "window_date for QUOTA_EXCEEDED, blacklisted_until_ms for BLACKLISTED,\n"
    "date for CANCEL_LIMIT, account_rule for ACCOUNT_LIMIT);\n"
    "2 usage; 3 invalid input (INVALID_ARGUMENT, TOO_LARGE, MALFORMED: a\n"
    "bad input file, ...); 4 session or table limits; 5 cluster unreachable or "
    "busy (UNAVAILABLE, NAME_UNRESOLVED,\n"
    "TIMEOUT, NO_LEADER, BUSY, ...); 6 OUTCOME_UNKNOWN (the change may or may "
    "not have\n"
    "been applied: query it before retrying); reconcile: 7 differs,\n"
    "8 incomplete (see slotctl reconcile --help).\n";

struct cmdhelp {
    const char *name;
    const char *text;
};

#define AS_HELP                                                                \
    "--as CHANNEL acts as that channel (as the HTTP shim does for its\n"       \
    "callers): a claim made through another channel is refused NOT_OWNER\n"    \
    "unless --account names an account its patient is bound to. Without\n"     \
    "--as slotctl acts as an administrator.\n"

static const struct cmdhelp helps[] = {
    {"status",
     "usage: slotctl status [--hash]\n"
     "Asks every node (--cluster and the members they list) for its status.\n"
     "--hash asks each node for its state hash too: O(ledger) on the node's\n"
     "loop (about a second with 1M claims, longer than the election\n"
     "timeout: the leader may lose its leadership), so not by default.\n"
     "JSON: {\"leader\": ID|null, \"nodes\": [{\"id\", \"address\" (raft),\n"
     "\"client_address\", \"role\" (leader/follower/candidate/unreachable),\n"
     "\"term\", \"commit_index\", \"applied_index\", \"state_hash\",\n"
     "\"config_committed_index\", \"config_uncommitted_index\" (0: no\n"
     "membership change in flight), \"promotee_id\" (the leader's: a node\n"
     "being caught up for promotion, 0: none), \"leader_stalls\",\n"
     "\"leader_stall_max_ms\" (loop turns of >= 5 ms while the node led,\n"
     "since it started: every client waited behind them)}]}\n"},
    {"member",
     "usage: slotctl member add ID RAFT_HOST:PORT/CLIENT_HOST:PORT\n"
     "       slotctl member promote ID [--role voter|standby|spare]\n"
     "       slotctl member remove ID\n"
     "       slotctl member transfer [ID]\n"
     "A node started with `slotd --join` is added as a spare, then promoted.\n"
     "JSON: {\"ok\": true, \"member\": ID, \"op\": \"add\"|...}\n"},
    {"pool",
     "usage: slotctl pool create|update POOL --capacity N\n"
     "              [--kind normal|expert|special|top_expert] [--fee-cents N]\n"
     "              [--seg-start-ms MS --seg-end-ms MS] [--release-at-ms MS]\n"
     "              [--share CHANNEL=SLOTS]...\n"
     "              [--hospital H --department D --visit-date YYYY-MM-DD\n"
     "               [--campus C] [--doctor D] [--pay-mode online|at_visit]\n"
     "               [--visit-slot-ms MS] [--eligible NAME]...\n"
     "               [--remainder-allow NAME]...]\n"
     "       slotctl pool show POOL\n"
     "       slotctl pool list [--after POOL] [--limit N (default 100)]\n"
     "       slotctl pool query HOSPITAL [--department D] [--doctor D]\n"
     "              [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--kind K]\n"
     "              [--after POOL] [--limit N (default 100)] [--all]\n"
     "       slotctl pool close POOL\n"
     "(`slotctl pools ...` is the same command.)\n"
     "--hospital and the options after it make a pool of a hospital's\n"
     "schedule (the hospital needs rules: slotctl rules set); such a pool\n"
     "needs a segment. --share, --eligible, --remainder-allow may name a\n"
     "channel or a group of the hospital; each repeats up to 8 times.\n"
     "query: the hospital's pools in (visit date, segment, department,\n"
     "doctor) order, dates local to the hospital, one page after --after;\n"
     "--all follows the pages to the end (--limit is then the page size,\n"
     "default 1000).\n"
     "JSON: create/update/close {\"ok\": true, \"pool\", \"index\", "
     "\"ledger_time_ms\"};\n"
     "show: the pool {\"pool\", \"kind\", \"state\", \"capacity\", \"free\", "
     "\"held\",\n"
     "\"booked\", \"fee_cents\", \"seg_start_ms\", \"seg_end_ms\", "
     "\"release_at_ms\",\n"
     "\"next_visit_no\", \"shares\": [...], \"remainder\": {...}, "
     "\"place\": null or\n"
     "{\"hospital\", \"campus\", \"department\", \"doctor\", "
     "\"visit_date\", \"pay_mode\",\n"
     "\"visit_slot_ms\", \"eligible\", \"remainder_allow\", "
     "\"flow_due_ms\", \"flowed_back\"},\n"
     "\"applied_index\", \"node\"}; list: {\"pools\": [...], "
     "\"applied_index\", \"node\"};\n"
     "query: {\"hospital\", \"total\" (every match), \"pools\": [...],\n"
     "\"next_after\": the --after of the next page or null, \"pages\", "
     "...}\n"},
    {"hold",
     "usage: slotctl hold POOL PATIENT [--channel CH (default slotctl)]\n"
     "                    [--ttl-ms MS] [--account ACCOUNT]\n"
     "--account names the account the hold is made for (the patient must\n"
     "be bound to it; a hospital's account_channels require one).\n"
     "--ttl-ms 0 asks for the hospital's payment window (a scheduled pool).\n"
     "Default: 0 for a scheduled pool whose hospital sets a payment window,\n"
     "else 600000 (or the hospital's maximum window, if lower).\n"
     "JSON: {\"hold\": ID, \"deadline_ms\", \"pool\", \"patient\", "
     "\"channel\",\n"
     "\"ttl_ms\", \"index\", \"ledger_time_ms\"}. OUTCOME_UNKNOWN names "
     "pool and\n"
     "patient: check with `slotctl show patient POOL PATIENT`.\n"},
    {"confirm",
     "usage: slotctl confirm HOLD [PAYMENT_REF] [--pay-method M]\n"
     "                      [--as CHANNEL [--account A]]\n"
     "Without PAYMENT_REF a pay-at-visit pool books the slot unpaid; any\n"
     "other pool refuses it (PAYMENT_REQUIRED). --pay-method names how\n"
     "PAYMENT_REF was paid (1..16 bytes of [a-z0-9_-]: wechat, alipay,\n"
     "unionpay, card, insurance, cash, ...; it needs PAYMENT_REF); the\n"
     "booking records it with the pool's fee (slotctl reconcile counts\n"
     "it). The ledger knows at most 16 methods: a 17th new one is refused\n"
     "LIMIT_REACHED (exit 4).\n" AS_HELP
     "JSON: {\"booking\": ID, \"visit_no\": N, \"paid\", \"pay_method\", "
     "\"index\",\n\"ledger_time_ms\"}\n"},
    {"release",
     "usage: slotctl release HOLD [--as CHANNEL [--account A]]\n" AS_HELP
     "JSON: {\"released\": ID, \"index\", \"ledger_time_ms\"}\n"},
    {"cancel",
     "usage: slotctl cancel BOOKING [--as CHANNEL [--account A]]\n" AS_HELP
     "A channel's cancel is subject to the hospital's cancellation deadline\n"
     "(CANCEL_CLOSED) and counts towards the patient's daily limit.\n"
     "JSON: {\"cancelled\": ID, \"index\", \"ledger_time_ms\"}\n"},
    {"account",
     "usage: slotctl account bind|unbind ACCOUNT PATIENT [--idem-key K]\n"
     "       slotctl account show ACCOUNT\n"
     "An account binds at most the config's account_patients_max patients\n"
     "(4), a patient one account; unbinds are limited per window\n"
     "(ACCOUNT_LIMIT names the rule: full, elsewhere, changes,\n"
     "change_patients).\n"
     "JSON: bind/unbind {\"ok\": true, \"account\", \"patient\", "
     "\"bound\": N,\n"
     "\"index\", \"ledger_time_ms\"}; show {\"account\", \"patients\": "
     "[...],\n"
     "\"changes\": [{\"at_ms\", \"unbinds\"}], \"applied_index\", "
     "...}\n"},
    {"patient",
     "usage: slotctl patient info PATIENT\n"
     "A patient's record (an unknown patient reads as empty).\n"
     "JSON: {\"patient\", \"account\" (\"\" none), \"claims\": [...] "
     "(active),\n"
     "\"violations\": [{\"at_ms\", \"hospital\", \"kind\"}], "
     "\"standings\":\n"
     "[{\"hospital\", \"violations\", \"threshold\", \"warning\", "
     "\"blacklisted\",\n"
     "\"blacklisted_until_ms\", \"exception\"}], \"cancellations_ms\": "
     "[...],\n"
     "\"applied_index\", ...}\n"},
    {"violation",
     "usage: slotctl violation add HOSPITAL PATIENT --kind no_show|other\n"
     "                             --operator NAME --reason TEXT "
     "[--idem-key K]\n"
     "Records a violation; at the hospital's threshold the patient is\n"
     "blacklisted there.\n"
     "JSON: {\"ok\": true, \"hospital\", \"patient\", \"kind\", "
     "\"violations\" (in\n"
     "the window), \"blacklisted_until_ms\" (0: not), \"index\", ...}\n"},
    {"unblock",
     "usage: slotctl unblock HOSPITAL PATIENT --operator NAME --reason TEXT\n"
     "                       [--idem-key K]\n"
     "Lifts the patient's blacklist at the hospital and forgets the\n"
     "patient's violations there.\n"
     "JSON: {\"ok\": true, \"hospital\", \"patient\", \"lifted\" (was "
     "blacklisted),\n"
     "\"index\", ...}\n"},
    {"exception",
     "usage: slotctl exception HOSPITAL PATIENT --operator NAME --reason "
     "TEXT\n"
     "                         [--idem-key K]\n"
     "Lets the patient's next hold at the hospital through a blacklist.\n"
     "JSON: {\"ok\": true, \"hospital\", \"patient\", \"index\", "
     "...}\n"},
    {"staff-log",
     "usage: slotctl staff-log [--after SEQ] [--limit N (100)]\n"
     "The violations, unblocks, exceptions and pool stops staff recorded,\n"
     "oldest first (the ledger keeps the last 4096).\n"
     "JSON: {\"entries\": [{\"seq\", \"at_ms\", \"op\" "
     "(violation/unblock/exception/\n"
     "pool_stop), \"hospital\", \"patient\" (\"\" for pool_stop), "
     "\"pool\" (pool_stop's,\n"
     "else \"\"), \"kind\" (a violation's, else null), \"operator\", "
     "\"reason\"}],\n"
     "\"applied_index\", ...}\n"},
    {"events",
     "usage: slotctl events [--after SEQ (0)] [--limit N (100)]\n"
     "                      [--follow [--interval-ms MS (1000)]]\n"
     "The ledger's event feed: every state change, numbered (seq) in apply\n"
     "order, the same on every node. Prints the events with seq > --after,\n"
     "oldest first, one JSON object per line and per event (with or\n"
     "without --json):\n"
     "{\"seq\", \"index\" (the Raft entry), \"time_ms\", \"type\" "
     "(held/booked/cancelled/...),\n"
     "\"pool\", \"claim\", \"patient\", \"channel\", \"account\", "
     "\"hospital\", \"a\", \"b\", \"fee_cents\", \"payment_ref\", "
     "\"pay_method\",\n\"local_day\"} (the payment of a claim's event "
     "right after it;\nlocal_day: days since 1970-01-01, hospital's "
     "local time)\n"
     "(a and b per type: a hold's deadline, a booking's visit_no and paid,\n"
     "...; libslot.h, enum slotc_event_type). Without --follow: at most\n"
     "--limit events, then exit. --follow: pages of at most --limit, back\n"
     "to back while behind, then a read every --interval-ms, until\n"
     "interrupted (SIGINT, SIGTERM: exit 0 after the current read). To\n"
     "resume, pass the last seq printed as --after: no gap, no duplicate,\n"
     "through any node. The ledger keeps the newest 1M events, none older\n"
     "than 24 h: a cursor behind that fails CURSOR_EXPIRED (exit 4), the\n"
     "error naming \"first\", the oldest seq held (--after first-1 reads on\n"
     "from there). Any error names \"after\", the cursor reached.\n"},
    {"audit",
     "usage: slotctl audit patient KEY --dir DIR\n"
     "       slotctl audit pool POOL --dir DIR\n"
     "Reads the archive slot-archiver keeps in DIR (every day, of any age:\n"
     "events-YYYY-MM-DD.jsonl, and .jsonl.gz after each is verified against\n"
     "its .sha256) and prints the events naming the patient (its key) or\n"
     "the pool, in seq order, one JSON object per line (with or without\n"
     "--json), in the shape of `slotctl events`. No node is asked. A .gz\n"
     "whose checksum is missing or wrong is not read, and said so on\n"
     "stderr; so is a line that does not parse or a seq that does not\n"
     "follow the one before (a gap or a repeat): after the events, such an\n"
     "archive ends in a CORRUPT error (exit 3) naming the counts\n"
     "(bad_checksum, bad_files, gaps). An unreadable DIR is a usage error.\n"},
    {"reconcile",
     "usage: slotctl reconcile --day YYYY-MM-DD [--hospital H] [--channel C]\n"
     "                         [--format csv|json] [--archive DIR]\n"
     "The money of local day DAY (each hospital's own local time): one line\n"
     "per booking, check-in, cancel, refund, move and no-show event of the\n"
     "day [seq, time (UTC), kind, hospital, channel, pay_method, pool,\n"
     "claim, patient, payment_ref, cents (+ paid, - owed back)], their sums\n"
     "per (hospital, channel, pay_method) against the ledger's counters of\n"
     "the day (each row: agree, or differs with both values), totals per\n"
     "payment method (the ledger's) and the booking statistics of visit day\n"
     "DAY (booking_rate = booked_now / released). The lines come from\n"
     "slot-archiver's archive in DIR with --archive (its files of the UTC\n"
     "days DAY-1..DAY+1 only), else from the ledger's event feed (it keeps\n"
     "24 h at most). CSV (default; --json: json): sections separated by an\n"
     "empty line, each with a header; every record's first field names its\n"
     "section: line, row, method, stats, result. JSON: {\"day\", "
     "\"lines\": [...],\n"
     "\"rows\": [...], \"methods\", \"stats\", \"agree\", "
     "\"rows_differing\", ...}.\n"
     "Exit 0: every row agrees; 7: a row differs; 8: the feed no longer\n"
     "holds the day's start (its oldest event is of DAY or later): the\n"
     "lines are incomplete (use --archive); a damaged archive: CORRUPT\n"
     "(exit 3) after the document.\n"},
    {"stats",
     "usage: slotctl stats --from YYYY-MM-DD --to YYYY-MM-DD [--hospital H]\n"
     "                     [--format table|json]\n"
     "Booking statistics of the scheduled pools with visit days FROM..TO\n"
     "(at most 62 days), per (visit day, hospital, department): pools,\n"
     "released (capacity released by now), capacity, booked_now,\n"
     "booking_rate (booked_now / released), and over the pools' lives\n"
     "booked, cancelled, refunded, moved, no_show, checked_in. It scans\n"
     "every pool: for staff and metrics, not for frequent use.\n"
     "JSON (--format json or --json): {\"rows\": [{\"visit_day\", "
     "\"hospital\",\n\"department\", \"pools\", \"released\", "
     "\"capacity\", \"booked_now\", \"booking_rate\",\n"
     "\"booked_total\", ...}], \"total\", \"applied_index\", ...}\n"},
    {"waitlist",
     "usage: slotctl waitlist join POOL PATIENT [--channel CH (default "
     "slotctl)]\n"
     "                             [--account A] [--idem-key K]\n"
     "       slotctl waitlist leave POOL PATIENT [--as CHANNEL [--account A]]\n"
     "                              [--idem-key K]\n"
     "       slotctl waitlist show POOL PATIENT\n"
     "Only a sold-out pool has a waitlist (NOT_SOLD_OUT: hold instead); a\n"
     "hold's refusals up to QUOTA_EXCEEDED apply to joining. A slot a\n"
     "cancel frees is offered to the head as a hold through its channel.\n"
     "leave: without --as slotctl acts as an administrator (NOT_OWNER: the\n"
     "entry was made through another channel and --account is not the\n"
     "patient's).\n"
     "JSON: join {\"ok\": true, \"pool\", \"patient\", \"channel\", "
     "\"position\",\n"
     "\"index\", \"ledger_time_ms\"}; leave {\"ok\": true, \"pool\", "
     "\"patient\", ...};\n"
     "show {\"pool\", \"patient\", \"position\" (0: not waiting), "
     "\"length\",\n"
     "\"applied_index\", ...}\n"},
    {"stop",
     "usage: slotctl stop POOL --operator NAME --reason TEXT [--idem-key K]\n"
     "The doctor's stoppage: the pool takes no new holds, confirms or\n"
     "waitlist entries, for good (POOL_STOPPED); its waitlist is emptied.\n"
     "Its bookings stay until each is moved (slotctl move) or cancelled\n"
     "for a refund (slotctl cancel: no deadline, no penalty); its holds\n"
     "until released or expired. `slotctl pool-claims POOL` lists them.\n"
     "Recorded in the staff log.\n"
     "JSON: {\"ok\": true, \"pool\", \"bookings\", \"holds\" (the "
     "patients to tell),\n"
     "\"index\", \"ledger_time_ms\"}\n"},
    {"move",
     "usage: slotctl move BOOKING POOL [--as CHANNEL [--account A]]\n"
     "Moves a booking of a stopped pool to POOL, another clinic of the same\n"
     "hospital, department and kind (MOVE_MISMATCH otherwise; NOT_STOPPED\n"
     "if its pool is not stopped), with its patient, channel and payment,\n"
     "and a new visit number there. The old booking reads as moved.\n" AS_HELP
     "JSON: {\"moved\": BOOKING, \"booking\": NEW_ID, \"pool\", "
     "\"visit_no\", \"index\",\n"
     "\"ledger_time_ms\"}\n"},
    {"checkin",
     "usage: slotctl checkin BOOKING PATIENT [--payment-ref REF "
     "[--pay-method M]]\n"
     "Checks PATIENT (the booking's: PATIENT_MISMATCH otherwise) in, within\n"
     "the hospital's check-in window around the visit's segment\n"
     "(CHECKIN_NOT_OPEN, CHECKIN_CLOSED; rules \"visit\"). --payment-ref\n"
     "pays an unpaid booking at the desk (the pool's fee now), by\n"
     "--pay-method (as confirm's); a paid booking keeps its payment.\n"
     "JSON: {\"checked_in\": BOOKING, \"patient\", \"visit_no\", "
     "\"index\",\n"
     "\"ledger_time_ms\"}\n"},
    {"pool-claims",
     "usage: slotctl pool-claims POOL [--after ID] [--limit N (100)]\n"
     "The pool's claims the ledger knows (any state), by id, after --after:\n"
     "a stopped clinic's holds and bookings to tell. It scans every claim\n"
     "of the ledger: for staff, not for frequent use.\n"
     "JSON: {\"pool\", \"claims\": [...], \"next_after\": the --after of "
     "the next\n"
     "page or null, \"applied_index\", ...}\n"},
    {"show", "usage: slotctl show hold ID | show booking ID | show patient "
             "POOL PATIENT\n"
             "       slotctl show ledger [--hash] (the state hash: O(ledger) "
             "on the\n"
             "       node's loop, see status)\n"
             "JSON: hold/booking: the claim {\"id\", \"state\", \"pool\", "
             "\"patient\",\n"
             "\"channel\", \"held_at_ms\", \"deadline_ms\", \"booked_at_ms\",\n"
             "\"resolved_at_ms\", \"visit_no\", \"payment_ref\", "
             "\"paid\", \"bucket\" (the\n"
             "share it took from, \"\" the remainder), \"visit_start_ms\", "
             "\"visit_end_ms\"\n"
             "(the visit number's window, 0 if none), \"attendance\"\n"
             "(pending/checked_in/no_show), \"checked_in_at_ms\", "
             "\"moved_to\",\n"
             "\"moved_from\" (0: none), \"refunded\", \"affected\" (its "
             "pool is stopped),\n"
             "\"pay_method\", \"fee_paid_cents\" (0 unpaid), "
             "\"applied_index\", \"node\"};\n"
             "patient: {\"claims\": [...], ...}; ledger: the ledger's figures "
             "and config\n"},
    {"config",
     "usage: slotctl config [--hold-ttl-min-ms N] [--hold-ttl-max-ms N]\n"
     "                      [--session-max N] [--session-idle-ms N]\n"
     "                      [--retain-ms N] [--retain-max N]\n"
     "                      [--account-patients-max N]\n"
     "                      [--account-changes-max N]\n"
     "                      [--account-change-window-days N]\n"
     "                      [--account-change-patients-max N]\n"
     "                      [--patient-active-max N]\n"
     "Without options shows the config; with some, changes those (the others\n"
     "keep their current values). Changing an account or patient limit\n"
     "also gives the ledger a new random cool-down key (it never discloses\n"
     "the current one). JSON: the config's fields (the key left out).\n"},
    {"rules",
     "usage: slotctl rules get HOSPITAL [--department D]\n"
     "       slotctl rules set HOSPITAL FILE|- --operator NAME --reason TEXT\n"
     "                         [--department D] [--idem-key K]\n"
     "       slotctl rules log HOSPITAL [--after VERSION] [--limit N (32)]\n"
     "set replaces the rules of HOSPITAL (the first set creates it) or of\n"
     "one department with the rule set in FILE (- reads standard input);\n"
     "who and why go into the hospital's change log. A rule set (every\n"
     "field optional; absent: no restriction):\n"
     "  {\"utc_offset\": \"+08:00\", \"release_time\": \"09:00\", "
     "\"horizon_days\": 7,\n"
     "   \"cutoff_time\": \"15:00\"|null, \"pay_ttl_ms\": 300000, "
     "\"pay_ttl_max_ms\": 0,\n"
     "   \"flow_back\": {\"days_before\": 1, \"time\": \"15:00\", "
     "\"to\": \"\"}|null,\n"
     "   \"groups\": [{\"name\": \"online\", \"channels\": [\"app\", "
     "\"wechat\"]}],\n"
     "   \"policies\": [{\"channel\": \"doctor\", \"horizon_days\": 90, "
     "\"cutoff\": false,\n"
     "                  \"same_day\": true}],\n"
     "   \"eligibility\": [{\"department\": \"\", \"kind\": "
     "\"special\"|null,\n"
     "                     \"channels\": [\"app\", \"window\"]}],\n"
     "   \"quota\": {...}, \"cancel\": {...}, \"blacklist\": {...}, "
     "\"cooldown_ms\": [MIN, MAX],\n"
     "   \"account_channels\": \"\",\n"
     "   \"visit\": {\"checkin_before_ms\": 3600000, \"checkin_late_ms\": 0,\n"
     "             \"noshow_sweep\": true}}\n"
     "visit: check-in opens checkin_before_ms before a visit's segment and\n"
     "closes checkin_late_ms before its end (each 0..86400000; absent:\n"
     "86400000 and 0); noshow_sweep marks a booking not checked in by then\n"
     "a no-show (a NO_SHOW violation).\n"
     "An unknown field, a duplicate key or a wrong type is MALFORMED, a bad\n"
     "value INVALID_ARGUMENT (exit 3); the error names the field. --idem-key\n"
     "makes a retry (from slotctl or the gateway's admin) get the original\n"
     "answer.\n"
     "JSON: get {\"hospital\", \"department\", \"inherited\", "
     "\"version\",\n"
     "\"changed_at_ms\", \"operator\", \"reason\", \"rules\": {...}, "
     "\"applied_index\", ...};\n"
     "set {\"ok\": true, \"hospital\", \"department\", \"version\", "
     "\"index\", ...};\n"
     "log {\"hospital\", \"changes\": [{\"version\", \"department\", "
     "\"changed_at_ms\",\n"
     "\"operator\", \"reason\", \"rules\"}], ...} oldest first (the "
     "ledger keeps 32)\n"},
    {"schedule",
     "usage: slotctl schedule import FILE|- [--dry-run] [--idem-key K]\n"
     "       slotctl schedule check FILE|-\n"
     "FILE holds one template or an array of them (at most 256); each\n"
     "creates one pool per (day, segment), id PREFIX/YYYYMMDD/HHMM:\n"
     "  {\"id_prefix\": \"pumch/dongdan/cardiology/zhang-wei\", "
     "\"hospital\": \"pumch\",\n"
     "   \"campus\": \"\", \"department\": \"cardiology\", "
     "\"doctor\": \"\", \"kind\": \"expert\",\n"
     "   \"fee_cents\": 5000, \"pay_mode\": \"online\", "
     "\"visit_slot_ms\": 0,\n"
     "   \"shares\": [{\"channel\": \"114\", \"permille\": 300}], "
     "\"eligible\": [],\n"
     "   \"remainder_allow\": [\"window\"], \"days\": "
     "[\"2026-12-08\", ...],\n"
     "   \"segments\": [{\"start\": \"08:00\", \"end\": \"08:30\", "
     "\"capacity\": 10}, ...]}\n"
     "Required: id_prefix, hospital, department, days, segments. Times are\n"
     "the hospital's local time.\n"
     "import checks every template first (nothing is imported if one is\n"
     "invalid or conflicts), then imports each atomically: pools that exist\n"
     "as defined are left alone (unchanged). SCHEDULE_CONFLICT (exit 1)\n"
     "lists the pools that exist with another definition. --dry-run stops\n"
     "after the checks. --idem-key K: K for one template, K.1, K.2, ... for\n"
     "an array. check reports what import would do and exits 0 even when\n"
     "pools conflict.\n"
     "JSON: {\"ok\": true, \"dry_run\", \"templates\": [{\"id_prefix\", "
     "\"hospital\",\n"
     "\"pools\", \"created\", \"unchanged\", \"index\", "
     "\"ledger_time_ms\"}], \"created\",\n"
     "\"unchanged\"}; check: {\"templates\": [{..., \"conflicts\": "
     "[POOL...]}],\n"
     "\"created\", \"unchanged\", \"conflicts\", \"importable\", "
     "\"applied_index\", ...}\n"},
    {NULL, NULL},
};

/* ---- output -------------------------------------------------------------- */

static bool g_json;

static int exitFor(int code)
{
    if (code == SLOT_OK) {
        return EXIT_OK_;
    }
    if (code == SLOT_OUTCOME_UNKNOWN) {
        return EXIT_UNKNOWN;
    }
    if (code >= 1 && code < 20) {
        return EXIT_INVALID;
    }
    if (code >= 20 && code < 60) {
        return EXIT_REFUSED;
    }
    if (code >= 60 && code < 80) {
        return EXIT_SESSION;
    }
    return EXIT_CLUSTER;
}

static void printHuman(json_t *o)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        if (json_is_string(v)) {
            printf("%s: %s\n", key, json_string_value(v));
        } else {
            char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            printf("%s: %s\n", key, s != NULL ? s : "?");
            free(s);
        }
    }
}

/* Prints a result object and frees it. */
static int emit(json_t *o)
{
    if (g_json) {
        char *s = json_dumps(o, JSON_COMPACT);
        puts(s != NULL ? s : "{}");
        free(s);
    } else {
        printHuman(o);
    }
    json_decref(o);
    return EXIT_OK_;
}

/* Prints an error; extra (may be NULL, stolen) adds fields to it. Returns
 * the exit code of its class. */
static int emitError(int code, const char *message, json_t *extra)
{
    const char *name = slotc_err_name(code);
    if (message == NULL) {
        message = slotc_err_message(code);
    }
    if (g_json) {
        json_t *e =
            json_pack("{s:s, s:s}", "code", name != NULL ? name : "UNKNOWN",
                      "message", message);
        if (extra != NULL) {
            json_object_update(e, extra);
        }
        json_t *o = json_pack("{s:o}", "error", e);
        char *s = json_dumps(o, JSON_COMPACT);
        puts(s != NULL ? s : "{}");
        free(s);
        json_decref(o);
    } else {
        fprintf(stderr, "slotctl: %s: %s\n", name != NULL ? name : "ERROR",
                message);
        if (extra != NULL) {
            const char *key;
            json_t *v;
            json_object_foreach(extra, key, v)
            {
                char *s = json_dumps(v, JSON_ENCODE_ANY);
                fprintf(stderr, "  %s: %s\n", key, s != NULL ? s : "?");
                free(s);
            }
        }
    }
    json_decref(extra);
    return exitFor(code);
}

static int usageError(const char *cmd, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (g_json) {
        json_t *o = json_pack("{s:{s:s, s:s}}", "error", "code", "USAGE",
                              "message", msg);
        char *s = json_dumps(o, JSON_COMPACT);
        puts(s != NULL ? s : "{}");
        free(s);
        json_decref(o);
    } else {
        fprintf(stderr, "slotctl: %s\n", msg);
        for (const struct cmdhelp *h = helps; cmd != NULL && h->name != NULL;
             h++) {
            if (strcmp(h->name, cmd) == 0) {
                fputs(h->text, stderr);
            }
        }
    }
    return EXIT_USAGE;
}

/* ---- command line -------------------------------------------------------- */

struct opt {
    const char *name;  /* without the leading "--" */
    const char *value; /* NULL: not given; "" for a flag */
    bool flag;
    const char *multi[SLOTC_SHARES_MAX + 1]; /* repeated option (--share) */
    int n_multi;
};

struct cli {
    const char *pos[ARGS_MAX];
    int n_pos;
    struct opt *opts;
    int n_opts;
    bool help;
};

_Static_assert(SLOTC_POOL_NAMES_MAX == SLOTC_SHARES_MAX, "--eligible bound");

/* Options that may be given several times (each value kept in multi). */
static bool repeated(const char *name)
{
    return strcmp(name, "share") == 0 || strcmp(name, "eligible") == 0 ||
           strcmp(name, "remainder-allow") == 0;
}

/* Splits argv into positionals and the options of `opts` (plus --help).
 * Accepts "--name value" and "--name=value". */
static int parseArgs(int argc, char **argv, struct opt *opts, int n_opts,
                     struct cli *cl, const char *cmd)
{
    memset(cl, 0, sizeof *cl);
    cl->opts = opts;
    cl->n_opts = n_opts;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            for (i++; i < argc && cl->n_pos < ARGS_MAX; i++) {
                cl->pos[cl->n_pos++] = argv[i];
            }
            break;
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            if (cl->n_pos == ARGS_MAX) {
                return usageError(cmd, "too many arguments");
            }
            cl->pos[cl->n_pos++] = a;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            cl->help = true;
            continue;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq != NULL ? (size_t)(eq - name) : strlen(name);
        struct opt *o = NULL;
        for (int k = 0; k < n_opts; k++) {
            if (strlen(opts[k].name) == nlen &&
                strncmp(opts[k].name, name, nlen) == 0) {
                o = &opts[k];
            }
        }
        if (o == NULL) {
            return usageError(cmd, "unknown option --%.*s", (int)nlen, name);
        }
        const char *val;
        if (o->flag) {
            if (eq != NULL) {
                return usageError(cmd, "--%s takes no value", o->name);
            }
            val = "";
        } else if (eq != NULL) {
            val = eq + 1;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            return usageError(cmd, "--%s needs a value", o->name);
        }
        if (repeated(o->name)) {
            if (o->n_multi == SLOTC_SHARES_MAX) {
                return usageError(cmd, "at most %d --%s", SLOTC_SHARES_MAX,
                                  o->name);
            }
            o->multi[o->n_multi++] = val;
        }
        o->value = val;
    }
    return EXIT_OK_;
}

static const char *optVal(const struct cli *cl, const char *name)
{
    for (int k = 0; k < cl->n_opts; k++) {
        if (strcmp(cl->opts[k].name, name) == 0) {
            return cl->opts[k].value;
        }
    }
    return NULL;
}

static bool parseU64(const char *s, uint64_t max, uint64_t *out)
{
    if (s == NULL || *s < '0' || *s > '9') {
        return false;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max) {
        return false;
    }
    *out = v;
    return true;
}

/* ---- JSON of the library's values ---------------------------------------- */

static json_t *jsonU64(uint64_t v)
{
    return json_integer((json_int_t)v);
}

static json_t *jsonHash(uint64_t h)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%016llx", (unsigned long long)h);
    return json_string(buf);
}

static json_t *jsonBucket(const struct slotc_bucket *b, bool channel)
{
    json_t *o = json_pack(
        "{s:I, s:I, s:I, s:I, s:I}", "capacity", (json_int_t)b->capacity,
        "free", (json_int_t)b->free, "held", (json_int_t)b->held, "booked",
        (json_int_t)b->booked, "cooling", (json_int_t)b->cooling);
    if (channel) {
        json_object_set_new(o, "channel", json_string(b->channel));
    }
    return o;
}

static json_t *jsonPool(const struct slotc_pool *p)
{
    const char *kind = slotc_kind_name(p->kind);
    const char *state = slotc_pool_state_name(p->state);
    json_t *shares = json_array();
    for (uint32_t i = 0; i < p->n_shares; i++) {
        json_array_append_new(shares, jsonBucket(&p->shares[i], true));
    }
    json_t *o = json_object();
    json_object_set_new(o, "pool", json_string(p->pool));
    json_object_set_new(o, "kind", json_string(kind != NULL ? kind : "?"));
    json_object_set_new(o, "state", json_string(state != NULL ? state : "?"));
    json_object_set_new(o, "capacity", jsonU64(p->capacity));
    json_object_set_new(o, "free", jsonU64(p->free));
    json_object_set_new(o, "held", jsonU64(p->held));
    json_object_set_new(o, "booked", jsonU64(p->booked));
    json_object_set_new(o, "cooling", jsonU64(p->cooling));
    json_object_set_new(o, "waiting", jsonU64(p->waiting));
    json_object_set_new(o, "fee_cents", jsonU64(p->fee_cents));
    json_object_set_new(o, "seg_start_ms", jsonU64(p->seg_start_ms));
    json_object_set_new(o, "seg_end_ms", jsonU64(p->seg_end_ms));
    json_object_set_new(o, "release_at_ms", jsonU64(p->release_at_ms));
    json_object_set_new(o, "next_visit_no", jsonU64(p->next_visit_no));
    json_object_set_new(o, "shares", shares);
    json_object_set_new(o, "remainder", jsonBucket(&p->remainder, false));
    json_object_set_new(
        o, "schedule", p->scheduled ? sctl_place_json(&p->place) : json_null());
    return o;
}

static json_t *jsonClaim(const struct slotc_claim *c)
{
    const char *state = slotc_claim_state_name(c->state);
    json_t *o = json_object();
    json_object_set_new(o, "id", jsonU64(c->id));
    json_object_set_new(o, "state", json_string(state != NULL ? state : "?"));
    json_object_set_new(o, "pool", json_string(c->pool));
    json_object_set_new(o, "patient", json_string(c->patient));
    json_object_set_new(o, "channel", json_string(c->channel));
    json_object_set_new(o, "held_at_ms", jsonU64(c->held_at_ms));
    json_object_set_new(o, "deadline_ms", jsonU64(c->deadline_ms));
    json_object_set_new(o, "booked_at_ms", jsonU64(c->booked_at_ms));
    json_object_set_new(o, "resolved_at_ms", jsonU64(c->resolved_at_ms));
    json_object_set_new(o, "visit_no", jsonU64(c->visit_no));
    json_object_set_new(o, "payment_ref", json_string(c->payment_ref));
    json_object_set_new(o, "paid", json_boolean(c->paid));
    json_object_set_new(o, "bucket", json_string(c->bucket));
    json_object_set_new(o, "visit_start_ms", jsonU64(c->visit_start_ms));
    json_object_set_new(o, "visit_end_ms", jsonU64(c->visit_end_ms));
    const char *att = slotc_attendance_name(c->attendance);
    json_object_set_new(o, "attendance", json_string(att != NULL ? att : "?"));
    json_object_set_new(o, "checked_in_at_ms", jsonU64(c->checked_in_at_ms));
    json_object_set_new(o, "moved_to", jsonU64(c->moved_to));
    json_object_set_new(o, "moved_from", jsonU64(c->moved_from));
    json_object_set_new(o, "refunded", json_boolean(c->refunded));
    json_object_set_new(o, "affected", json_boolean(c->affected));
    json_object_set_new(o, "pay_method", json_string(c->pay_method));
    json_object_set_new(o, "fee_paid_cents", jsonU64(c->fee_paid_cents));
    return o;
}

static json_t *jsonConfig(const struct slotc_config *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "hold_ttl_min_ms", jsonU64(c->hold_ttl_min_ms));
    json_object_set_new(o, "hold_ttl_max_ms", jsonU64(c->hold_ttl_max_ms));
    json_object_set_new(o, "session_max", jsonU64(c->session_max));
    json_object_set_new(o, "session_idle_ms", jsonU64(c->session_idle_ms));
    json_object_set_new(o, "retain_ms", jsonU64(c->retain_ms));
    json_object_set_new(o, "retain_max", jsonU64(c->retain_max));
    if (c->v3) {
        json_object_set_new(o, "account_patients_max",
                            jsonU64(c->account_patients_max));
        json_object_set_new(o, "account_changes_max",
                            jsonU64(c->account_changes_max));
        json_object_set_new(o, "account_change_window_days",
                            jsonU64(c->account_change_window_days));
        json_object_set_new(o, "account_change_patients_max",
                            jsonU64(c->account_change_patients_max));
        json_object_set_new(o, "patient_active_max",
                            jsonU64(c->patient_active_max));
    }
    return o;
}

/* A read's label: where it was served and how fresh it is. */
static json_t *readLabel(json_t *o, const struct slotc_req *req)
{
    json_object_set_new(o, "applied_index", jsonU64(req->out.index));
    json_object_set_new(
        o, "node", json_string(req->out.node != NULL ? req->out.node : ""));
    json_object_set_new(o, "stale",
                        json_boolean((req->flags & SLOTC_STALE) != 0));
    return o;
}

static json_t *cmdLabel(json_t *o, const struct slotc_req *req)
{
    json_object_set_new(o, "index", jsonU64(req->out.index));
    json_object_set_new(o, "ledger_time_ms", jsonU64(req->out.ledger_time_ms));
    return o;
}

/* The error of a finished request, with what OUTCOME_UNKNOWN names. */
static int reqError(const struct slotc_req *req, int rc)
{
    json_t *extra = NULL;
    if (rc == SLOT_OUTCOME_UNKNOWN) {
        extra = json_object();
        if (req->out.pool != NULL) {
            json_object_set_new(extra, "pool", json_string(req->out.pool));
        }
        if (req->out.patient != NULL) {
            json_object_set_new(extra, "patient",
                                json_string(req->out.patient));
        }
        if (req->out.id != 0) {
            bool booking = req->op == SLOTC_OP_CANCEL ||
                           req->op == SLOTC_OP_MOVE ||
                           req->op == SLOTC_OP_CHECKIN;
            const char *key =
                booking ? "booking"
                : req->op >= SLOTC_OP_STATUS && req->op <= SLOTC_OP_TRANSFER
                    ? "member"
                    : "hold";
            json_object_set_new(extra, key, jsonU64(req->out.id));
        }
    }
    char day[11];
    if (rc == SLOT_QUOTA_EXCEEDED) {
        const char *q = slotc_quota_name(req->out.quota);
        slotc_day_format(req->out.window_day, day);
        extra = json_pack("{s:s, s:s}", "quota", q != NULL ? q : "?",
                          "window_date", day);
    } else if (rc == SLOT_BLACKLISTED) {
        extra = json_pack("{s:I}", "blacklisted_until_ms",
                          (json_int_t)req->out.until_ms);
    } else if (rc == SLOT_CANCEL_LIMIT) {
        slotc_day_format(req->out.window_day, day);
        extra = json_pack("{s:s}", "date", day);
    } else if (rc == SLOT_ACCOUNT_LIMIT) {
        const char *r = slotc_account_rule_name(req->out.account_rule);
        extra = json_pack("{s:s}", "account_rule", r != NULL ? r : "?");
    }
    return emitError(rc, NULL, extra);
}

/* ---- commands ------------------------------------------------------------ */

struct ctx {
    struct slotc_options o;
    uint32_t timeout_ms;
    bool stale;
};

static struct slotc_sync *openSync(const struct ctx *x, int *rc)
{
    struct slotc_sync *s = NULL;
    *rc = slotc_sync_open(&x->o, &s);
    return s;
}

static void reqInit(const struct ctx *x, struct slotc_req *req)
{
    slotc_req_init(req);
    req->timeout_ms = x->timeout_ms;
    req->flags = x->stale ? SLOTC_STALE : 0;
}

/* ---- status: ask every node directly, in parallel ---- */

struct probe {
    struct slotc_req req;
    char addr[SLOTC_ADDRESS_MAX + 1];
    bool done;
    bool ok;
    int status; /* the STATUS request's */
    struct slotc_node_status st;
};

#define PROBES_MAX (2 * SLOTC_NODES_MAX)

struct survey {
    struct probe p[PROBES_MAX];
    int n;
    int outstanding;
    bool hash; /* ask for the state hash */
};

static void probeCb(struct slotc_req *req)
{
    struct probe *p = req->data;
    p->done = true;
    p->status = req->status;
    if (req->status == SLOT_OK) {
        p->ok = true;
        p->st = *req->out.status;
    }
}

static int probeFind(const struct survey *sv, const char *addr)
{
    for (int i = 0; i < sv->n; i++) {
        if (strcmp(sv->p[i].addr, addr) == 0) {
            return i;
        }
    }
    return -1;
}

/* Submits a STATUS probe to addr unless one exists (with the state hash
 * if sv->hash). */
static void probeAdd(struct slotc *c, struct survey *sv, const char *addr)
{
    if (addr[0] == '\0' || probeFind(sv, addr) >= 0 || sv->n == PROBES_MAX) {
        return;
    }
    struct probe *p = &sv->p[sv->n];
    memset(p, 0, sizeof *p);
    snprintf(p->addr, sizeof p->addr, "%s", addr);
    slotc_req_init(&p->req);
    p->req.data = p;
    p->req.node = p->addr;
    p->req.timeout_ms = STATUS_TIMEOUT_MS;
    p->req.flags = sv->hash ? 0 : SLOTC_NO_HASH;
    if (slotc_status(c, &p->req, probeCb) == SLOT_OK) {
        sv->n++;
    }
}

static bool probesDone(const struct survey *sv)
{
    for (int i = 0; i < sv->n; i++) {
        if (!sv->p[i].done) {
            return false;
        }
    }
    return true;
}

static void runProbes(uv_loop_t *loop, const struct survey *sv)
{
    /* Each probe ends by its deadline; the count is a backstop. */
    for (int i = 0; i < 100000 && !probesDone(sv); i++) {
        uv_run(loop, UV_RUN_ONCE);
    }
}

static json_t *nodeJson(uint64_t id, const char *member_addr,
                        const struct probe *p, bool hash)
{
    char raft[SLOTC_ADDRESS_MAX + 1] = "", client[SLOTC_ADDRESS_MAX + 1] = "";
    const char *addr = member_addr != NULL
                           ? member_addr
                           : (p != NULL && p->ok ? p->st.address : "");
    slotc_address_split(addr, raft, sizeof raft, client, sizeof client);
    if (member_addr == NULL && p != NULL && !p->ok) {
        snprintf(client, sizeof client, "%s", p->addr);
    }
    json_t *o = json_object();
    json_object_set_new(o, "id", id != 0 ? jsonU64(id) : json_null());
    json_object_set_new(o, "address",
                        raft[0] != '\0' ? json_string(raft) : json_null());
    json_object_set_new(o, "client_address", json_string(client));
    if (p != NULL && p->ok) {
        json_object_set_new(o, "role", json_string(p->st.role));
        json_object_set_new(o, "term", jsonU64(p->st.term));
        json_object_set_new(o, "commit_index", jsonU64(p->st.commit_index));
        json_object_set_new(o, "applied_index", jsonU64(p->st.applied_index));
        /* Not asked (no --hash): null, not a hash of 0. */
        json_object_set_new(o, "state_hash",
                            hash ? jsonHash(p->st.state_hash) : json_null());
        json_object_set_new(o, "config_committed_index",
                            jsonU64(p->st.config_committed_index));
        json_object_set_new(o, "config_uncommitted_index",
                            jsonU64(p->st.config_uncommitted_index));
        json_object_set_new(o, "promotee_id", jsonU64(p->st.promotee_id));
        json_object_set_new(o, "leader_stalls", jsonU64(p->st.leader_stalls));
        json_object_set_new(
            o, "leader_stall_max_ms",
            json_real((double)p->st.leader_stall_max_us / 1000.0));
    } else {
        json_object_set_new(o, "role", json_string("unreachable"));
        json_object_set_new(o, "term", json_null());
        json_object_set_new(o, "commit_index", json_null());
        json_object_set_new(o, "applied_index", json_null());
        json_object_set_new(o, "state_hash", json_null());
        json_object_set_new(o, "config_committed_index", json_null());
        json_object_set_new(o, "config_uncommitted_index", json_null());
        json_object_set_new(o, "promotee_id", json_null());
        json_object_set_new(o, "leader_stalls", json_null());
        json_object_set_new(o, "leader_stall_max_ms", json_null());
    }
    return o;
}

static void closedCb(void *data)
{
    *(bool *)data = true;
}

/* Asks the --cluster nodes, then the members they list, for their status,
 * with each node's state hash if `hash` (it costs the node O(state): only
 * `slotctl status` shows it). Returns SLOT_OK, or the error of opening the
 * client. */
static int survey(const struct ctx *x, struct survey *sv, bool hash)
{
    uv_loop_t loop;
    struct slotc *c;
    uv_loop_init(&loop);
    struct slotc_options o = x->o;
    int rc = slotc_open(&loop, &o, &c);
    if (rc != SLOT_OK) {
        uv_loop_close(&loop);
        return rc;
    }
    memset(sv, 0, sizeof *sv);
    sv->hash = hash;
    /* Round 1: the given addresses. Round 2: members they list that were
     * not asked yet (their client part). */
    char list[4096];
    snprintf(list, sizeof list, "%s", x->o.cluster);
    char *save = NULL;
    for (char *a = strtok_r(list, ",", &save); a != NULL;
         a = strtok_r(NULL, ",", &save)) {
        probeAdd(c, sv, a);
    }
    runProbes(&loop, sv);
    int n1 = sv->n;
    for (int i = 0; i < n1; i++) {
        for (uint32_t m = 0; sv->p[i].ok && m < sv->p[i].st.n_members; m++) {
            char raft[SLOTC_ADDRESS_MAX + 1], client[SLOTC_ADDRESS_MAX + 1];
            if (slotc_address_split(sv->p[i].st.members[m].address, raft,
                                    sizeof raft, client,
                                    sizeof client) == SLOT_OK) {
                probeAdd(c, sv, client);
            }
        }
    }
    runProbes(&loop, sv);
    bool closed = false;
    slotc_close(c, closedCb, &closed);
    for (int i = 0; i < 1000 && !closed; i++) {
        uv_run(&loop, UV_RUN_ONCE);
    }
    uv_loop_close(&loop);
    return SLOT_OK;
}

static int cmdStatus(const struct ctx *x, const struct cli *cl)
{
    if (cl->n_pos != 1) {
        return usageError("status", "status takes no arguments");
    }
    static struct survey sv;
    int rc = survey(x, &sv, optVal(cl, "hash") != NULL);
    if (rc != SLOT_OK) {
        return emitError(rc, "bad --cluster", NULL);
    }
    /* The configuration: from the leader if one answered, else from the
     * reachable node with the highest term. */
    const struct probe *conf = NULL;
    uint64_t leader = 0, leader_term = 0;
    for (int i = 0; i < sv.n; i++) {
        const struct probe *p = &sv.p[i];
        if (!p->ok) {
            continue;
        }
        if (strcmp(p->st.role, "leader") == 0 && p->st.term >= leader_term) {
            leader = p->st.id;
            leader_term = p->st.term;
            conf = p;
        }
        if (conf == NULL || (leader == 0 && p->st.term > conf->st.term)) {
            conf = p;
        }
    }
    if (conf == NULL) {
        /* Every address a name that did not resolve: say that. */
        bool names = sv.n > 0;
        for (int i = 0; i < sv.n; i++) {
            names = names && sv.p[i].status == SLOT_NAME_UNRESOLVED;
        }
        return names ? emitError(SLOT_NAME_UNRESOLVED, NULL, NULL)
                     : emitError(SLOT_UNAVAILABLE, "no node answered", NULL);
    }
    json_t *nodes = json_array();
    bool used[PROBES_MAX] = {false};
    for (uint32_t m = 0; m < conf->st.n_members; m++) {
        const struct slotc_member *mem = &conf->st.members[m];
        char raft[SLOTC_ADDRESS_MAX + 1], client[SLOTC_ADDRESS_MAX + 1];
        slotc_address_split(mem->address, raft, sizeof raft, client,
                            sizeof client);
        const struct probe *p = NULL;
        for (int i = 0; i < sv.n; i++) {
            if ((sv.p[i].ok && sv.p[i].st.id == mem->id) ||
                (!sv.p[i].ok && strcmp(sv.p[i].addr, client) == 0)) {
                if (p == NULL || (!p->ok && sv.p[i].ok)) {
                    p = &sv.p[i];
                }
            }
        }
        for (int i = 0; i < sv.n; i++) {
            if (&sv.p[i] == p || strcmp(sv.p[i].addr, client) == 0) {
                used[i] = true;
            }
        }
        json_array_append_new(nodes,
                              nodeJson(mem->id, mem->address, p, sv.hash));
    }
    /* Nodes that answered or were named but are not in the configuration. */
    for (int i = 0; i < sv.n; i++) {
        if (!used[i]) {
            bool dup = false;
            for (int j = 0; j < i && sv.p[i].ok; j++) {
                dup = dup ||
                      (sv.p[j].ok && sv.p[j].st.id == sv.p[i].st.id && used[j]);
            }
            if (!dup) {
                json_array_append_new(nodes,
                                      nodeJson(sv.p[i].ok ? sv.p[i].st.id : 0,
                                               NULL, &sv.p[i], sv.hash));
            }
        }
    }
    json_t *out = json_object();
    json_object_set_new(out, "leader",
                        leader != 0 ? jsonU64(leader) : json_null());
    json_object_set_new(out, "nodes", nodes);
    return emit(out);
}

static int cmdMember(const struct ctx *x, const struct cli *cl)
{
    if (cl->n_pos < 2) {
        return usageError("member", "member needs a subcommand");
    }
    const char *sub = cl->pos[1];
    uint64_t id = 0;
    int role = SLOTC_ROLE_VOTER;
    bool add = strcmp(sub, "add") == 0, promote = strcmp(sub, "promote") == 0,
         remove = strcmp(sub, "remove") == 0,
         transfer = strcmp(sub, "transfer") == 0;
    int want = add ? 4 : transfer ? -1 : 3;
    if (!add && !promote && !remove && !transfer) {
        return usageError("member", "unknown member subcommand '%s'", sub);
    }
    if ((want > 0 && cl->n_pos != want) || (transfer && cl->n_pos > 3)) {
        return usageError("member", "wrong number of arguments");
    }
    if (cl->n_pos >= 3 && !parseU64(cl->pos[2], UINT64_MAX, &id)) {
        return usageError("member", "bad node id '%s'", cl->pos[2]);
    }
    if (add) {
        /* RAFT/CLIENT, each HOST:PORT (slot_addr.h); raft's part a name or
         * IPv4 (raft 0.22.1's transport resolves IPv4 only). */
        const char *a = cl->pos[3], *slash = strchr(a, '/');
        size_t rl = slash != NULL ? (size_t)(slash - a) : strlen(a);
        struct slot_hostport hp;
        char msg[400];
        if (slot_hostport_parse(a, rl, "member address (raft part)", &hp, msg,
                                sizeof msg) != SLOT_OK ||
            (slash != NULL &&
             slot_hostport_parse(slash + 1, strlen(slash + 1),
                                 "member address (client part)", &hp, msg,
                                 sizeof msg) != SLOT_OK)) {
            return usageError("member", "%s", msg);
        }
        if (slot_hostport_parse(a, rl, "", &hp, NULL, 0) == SLOT_OK &&
            hp.kind == SLOT_HOST_IPV6) {
            return usageError("member",
                              "member address '%.*s': raft's "
                              "transport is IPv4 only",
                              (int)rl, a);
        }
    }
    if (optVal(cl, "role") != NULL &&
        (!promote ||
         (role = slotc_member_role_from_name(optVal(cl, "role"))) < 0)) {
        return usageError("member",
                          "--role is voter, standby or spare (promote only)");
    }
    /* Send the change to the node that says it leads, if one does: a
     * first attempt on a follower would answer NOT_LEADER, which the
     * library must treat as "maybe applied" (a leader that lost its
     * leadership says the same), and a later refusal (say, a duplicate
     * id) would then read OUTCOME_UNKNOWN instead of its real error. */
    static struct survey sv;
    static char leader[SLOTC_ADDRESS_MAX + 1];
    int rc = survey(x, &sv, false);
    if (rc != SLOT_OK) {
        return emitError(rc, "bad --cluster", NULL);
    }
    leader[0] = '\0';
    for (int i = 0; i < sv.n; i++) {
        char raft[SLOTC_ADDRESS_MAX + 1];
        if (sv.p[i].ok && strcmp(sv.p[i].st.role, "leader") == 0) {
            slotc_address_split(sv.p[i].st.address, raft, sizeof raft, leader,
                                sizeof leader);
        }
    }
    struct slotc_sync *s = openSync(x, &rc);
    if (s == NULL) {
        return emitError(rc, "bad --cluster", NULL);
    }
    struct slotc_req req;
    reqInit(x, &req);
    req.flags = 0;
    req.node = leader[0] != '\0' ? leader : NULL;
    rc = add       ? slotc_sync_member_add(s, &req, id, cl->pos[3])
         : promote ? slotc_sync_member_assign(s, &req, id, role)
         : remove  ? slotc_sync_member_remove(s, &req, id)
                   : slotc_sync_transfer(s, &req, id);
    int ex = rc == SLOT_OK ? emit(json_pack("{s:b, s:s, s:I}", "ok", 1, "op",
                                            sub, "member", (json_int_t)id))
                           : reqError(&req, rc);
    slotc_sync_close(s);
    return ex;
}

static const struct opt *optFind(const struct cli *cl, const char *name)
{
    for (int k = 0; k < cl->n_opts; k++) {
        if (strcmp(cl->opts[k].name, name) == 0) {
            return &cl->opts[k];
        }
    }
    return NULL;
}

/* The schedule fields of a pool spec (--hospital ...), if any is given:
 * sp->place then points to static storage. */
static int placeFrom(const struct cli *cl, struct slotc_pool_spec *sp)
{
    static const char *const names[] = {
        "hospital",      "campus",     "department",
        "doctor",        "visit-date", "pay-mode",
        "visit-slot-ms", "eligible",   "remainder-allow"};
    bool any = false;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        any = any || optVal(cl, names[i]) != NULL;
    }
    if (!any) {
        return EXIT_OK_;
    }
    static struct slotc_place pl;
    memset(&pl, 0, sizeof pl);
    pl.hospital = optVal(cl, "hospital");
    pl.campus = optVal(cl, "campus");
    pl.department = optVal(cl, "department");
    pl.doctor = optVal(cl, "doctor");
    if (pl.hospital == NULL || pl.department == NULL ||
        optVal(cl, "visit-date") == NULL) {
        return usageError("pool", "a scheduled pool needs --hospital, "
                                  "--department and --visit-date");
    }
    int64_t day = slotc_day_parse(optVal(cl, "visit-date"));
    if (day < 0) {
        return usageError("pool",
                          "--visit-date '%s' is not a date (YYYY-MM-DD)",
                          optVal(cl, "visit-date"));
    }
    pl.visit_day = (uint32_t)day;
    const char *s = optVal(cl, "pay-mode");
    if (s != NULL && (pl.pay_mode = slotc_pay_mode_from_name(s)) < 0) {
        return usageError("pool", "--pay-mode is online or at_visit");
    }
    uint64_t v = 0;
    s = optVal(cl, "visit-slot-ms");
    if (s != NULL && !parseU64(s, UINT32_MAX, &v)) {
        return usageError("pool", "bad --visit-slot-ms '%s'", s);
    }
    pl.visit_slot_ms = (uint32_t)v;
    const struct opt *o = optFind(cl, "eligible");
    for (int i = 0; o != NULL && i < o->n_multi; i++) {
        pl.eligible[pl.n_eligible++] = o->multi[i];
    }
    o = optFind(cl, "remainder-allow");
    for (int i = 0; o != NULL && i < o->n_multi; i++) {
        pl.remainder_allow[pl.n_remainder_allow++] = o->multi[i];
    }
    sp->place = &pl;
    return EXIT_OK_;
}

static int poolSpecFrom(const struct cli *cl, struct slotc_pool_spec *sp)
{
    memset(sp, 0, sizeof *sp);
    sp->pool = cl->pos[2];
    uint64_t v;
    const char *s;
    if (!parseU64(optVal(cl, "capacity"), UINT32_MAX, &v)) {
        return usageError("pool", "--capacity N is required");
    }
    sp->capacity = (uint32_t)v;
    if ((s = optVal(cl, "kind")) != NULL &&
        (sp->kind = slotc_kind_from_name(s)) < 0) {
        return usageError("pool",
                          "--kind is normal, expert, special or top_expert");
    }
    struct {
        const char *name;
        uint64_t *dst;
    } nums[] = {{"fee-cents", &sp->fee_cents},
                {"seg-start-ms", &sp->seg_start_ms},
                {"seg-end-ms", &sp->seg_end_ms},
                {"release-at-ms", &sp->release_at_ms}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if ((s = optVal(cl, nums[i].name)) != NULL &&
            !parseU64(s, UINT64_MAX, nums[i].dst)) {
            return usageError("pool", "bad --%s '%s'", nums[i].name, s);
        }
    }
    for (int k = 0; k < cl->n_opts; k++) {
        const struct opt *o = &cl->opts[k];
        if (strcmp(o->name, "share") != 0) {
            continue;
        }
        static char chans[SLOTC_SHARES_MAX][64];
        for (int i = 0; i < o->n_multi; i++) {
            const char *eq = strchr(o->multi[i], '=');
            if (eq == NULL || (size_t)(eq - o->multi[i]) >= sizeof chans[i] ||
                !parseU64(eq + 1, UINT32_MAX, &v)) {
                return usageError("pool", "--share is CHANNEL=SLOTS");
            }
            memcpy(chans[i], o->multi[i], (size_t)(eq - o->multi[i]));
            chans[i][eq - o->multi[i]] = '\0';
            sp->shares[i].channel = chans[i];
            sp->shares[i].slots = (uint32_t)v;
        }
        sp->n_shares = (uint32_t)o->n_multi;
    }
    return placeFrom(cl, sp);
}

/* Refuses the command's options that subcommand `sub` does not take
 * (allowed: " a b c "); global options are always fine. */
static int subOpts(const struct cli *cl, const char *cmd, const char *sub,
                   const char *allowed)
{
    for (int k = 4; k < cl->n_opts; k++) {
        char key[64];
        snprintf(key, sizeof key, " %s ", cl->opts[k].name);
        if (cl->opts[k].value != NULL && strstr(allowed, key) == NULL) {
            return usageError(cmd, "%s %s does not take --%s", cmd, sub,
                              cl->opts[k].name);
        }
    }
    return EXIT_OK_;
}

#define QUERY_PAGES_MAX 1100 /* --all: 1000 pages of 1000 cover 1M pools */

/* pool query HOSPITAL: one page, or every page with --all. */
static int cmdPoolQuery(const struct ctx *x, const struct cli *cl)
{
    struct slotc_query q;
    memset(&q, 0, sizeof q);
    q.hospital = cl->pos[2];
    q.department = optVal(cl, "department");
    q.doctor = optVal(cl, "doctor");
    q.kind = -1;
    q.after = optVal(cl, "after");
    bool all = optVal(cl, "all") != NULL;
    const char *s;
    int64_t day;
    if ((s = optVal(cl, "from")) != NULL) {
        if ((day = slotc_day_parse(s)) < 0) {
            return usageError("pool", "--from '%s' is not a date (YYYY-MM-DD)",
                              s);
        }
        q.date_from = (uint32_t)day;
    }
    if ((s = optVal(cl, "to")) != NULL) {
        if ((day = slotc_day_parse(s)) < 0) {
            return usageError("pool", "--to '%s' is not a date (YYYY-MM-DD)",
                              s);
        }
        q.date_to = (uint32_t)day;
    }
    if ((s = optVal(cl, "kind")) != NULL &&
        (q.kind = slotc_kind_from_name(s)) < 0) {
        return usageError("pool",
                          "--kind is normal, expert, special or top_expert");
    }
    uint64_t limit = all ? SLOTC_LIST_MAX : 100;
    if ((s = optVal(cl, "limit")) != NULL &&
        (!parseU64(s, SLOTC_LIST_MAX, &limit) || limit == 0)) {
        return usageError("pool", "--limit is 1..%d", SLOTC_LIST_MAX);
    }
    q.limit = (uint32_t)limit;
    int rc;
    struct slotc_sync *sy = openSync(x, &rc);
    if (sy == NULL) {
        return emitError(rc, "bad --cluster", NULL);
    }
    struct slotc_req req;
    json_t *arr = json_array();
    char after[SLOTC_POOL_ID_MAX + 1] = "";
    uint64_t total = 0, seen = 0;
    bool more = false, from_first = q.after == NULL || q.after[0] == '\0';
    int pages = 0;
    /* Each page's outputs die with the next call: copy them to JSON first.
     * Pools created meanwhile may move the pages; --all ends at a short
     * page or the bound. */
    do {
        reqInit(x, &req);
        rc = slotc_sync_read_query(sy, &req, &q);
        if (rc != SLOT_OK) {
            break;
        }
        pages++;
        total = req.out.total;
        for (uint32_t i = 0; i < req.out.n_pools; i++) {
            json_array_append_new(arr, jsonPool(&req.out.pools[i]));
        }
        seen += req.out.n_pools;
        /* total counts every match: from the first page on, a full page
         * that reached it is the last. */
        more = req.out.n_pools == q.limit && (!from_first || seen < total);
        if (more) {
            snprintf(after, sizeof after, "%s",
                     req.out.pools[req.out.n_pools - 1].pool);
            q.after = after;
        }
    } while (all && more && pages < QUERY_PAGES_MAX);
    int ex;
    if (rc == SLOT_OK) {
        json_t *o = json_object();
        json_object_set_new(o, "hospital", json_string(q.hospital));
        json_object_set_new(o, "total", jsonU64(total));
        json_object_set_new(o, "pools", arr);
        json_object_set_new(o, "next_after",
                            more ? json_string(after) : json_null());
        json_object_set_new(o, "pages", json_integer(pages));
        ex = emit(readLabel(o, &req));
    } else {
        json_decref(arr);
        ex = reqError(&req, rc);
    }
    slotc_sync_close(sy);
    return ex;
}

static int cmdPool(const struct ctx *x, const struct cli *cl)
{
    if (cl->n_pos < 2) {
        return usageError("pool", "pool needs a subcommand");
    }
    const char *sub = cl->pos[1];
    bool create = strcmp(sub, "create") == 0,
         update = strcmp(sub, "update") == 0, show = strcmp(sub, "show") == 0,
         list = strcmp(sub, "list") == 0, close = strcmp(sub, "close") == 0,
         query = strcmp(sub, "query") == 0;
    if (!create && !update && !show && !list && !close && !query) {
        return usageError("pool", "unknown pool subcommand '%s'", sub);
    }
    if (cl->n_pos != (list ? 2 : 3)) {
        return usageError("pool", "wrong number of arguments");
    }
    int ex = subOpts(
        cl, "pool", sub,
        create || update
            ? " capacity kind fee-cents seg-start-ms seg-end-ms release-at-ms "
              "share hospital campus department doctor visit-date pay-mode "
              "visit-slot-ms eligible remainder-allow "
        : list  ? " after limit "
        : query ? " department doctor from to kind after limit all "
                : " ");
    if (ex != EXIT_OK_) {
        return ex;
    }
    if (query) {
        return cmdPoolQuery(x, cl);
    }
    struct slotc_pool_spec sp;
    uint64_t limit = 100;
    if (create || update) {
        ex = poolSpecFrom(cl, &sp);
        if (ex != EXIT_OK_) {
            return ex;
        }
    }
    if (list && optVal(cl, "limit") != NULL &&
        !parseU64(optVal(cl, "limit"), SLOTC_LIST_MAX, &limit)) {
        return usageError("pool", "--limit is 1..%d", SLOTC_LIST_MAX);
    }
    int rc;
    struct slotc_sync *s = openSync(x, &rc);
    if (s == NULL) {
        return emitError(rc, "bad --cluster", NULL);
    }
    struct slotc_req req;
    reqInit(x, &req);
    json_t *out = NULL;
    if (create || update) {
        rc = create ? slotc_sync_pool_create(s, &req, &sp)
                    : slotc_sync_pool_update(s, &req, &sp);
        if (rc == SLOT_OK) {
            out = cmdLabel(json_pack("{s:b, s:s, s:o}", "ok", 1, "pool",
                                     sp.pool, "schedule",
                                     sp.place != NULL
                                         ? sctl_place_spec_json(sp.place)
                                         : json_null()),
                           &req);
        }
    } else if (close) {
        rc = slotc_sync_pool_close(s, &req, cl->pos[2]);
        if (rc == SLOT_OK) {
            out = cmdLabel(json_pack("{s:b, s:s}", "ok", 1, "pool", cl->pos[2]),
                           &req);
        }
    } else if (show) {
        rc = slotc_sync_read_pool(s, &req, cl->pos[2]);
        if (rc == SLOT_OK) {
            out = readLabel(jsonPool(&req.out.pools[0]), &req);
        }
    } else {
        rc = slotc_sync_read_pools(s, &req, optVal(cl, "after"),
                                   (uint32_t)limit);
        if (rc == SLOT_OK) {
            json_t *arr = json_array();
            for (uint32_t i = 0; i < req.out.n_pools; i++) {
                json_array_append_new(arr, jsonPool(&req.out.pools[i]));
            }
            out = readLabel(json_pack("{s:o}", "pools", arr), &req);
        }
    }
    ex = out != NULL ? emit(out) : reqError(&req, rc);
    slotc_sync_close(s);
    return ex;
}

#define HOLD_TTL_DEFAULT_MS 600000u

/* The ttl a hold without --ttl-ms asks for: 0 (the hospital's payment
 * window) for a scheduled pool whose rules set one, else the default,
 * lowered to the rules' maximum window if they set a lower one. Costs two
 * reads; any failure leaves the default (the HOLD reports the error). */
static uint32_t holdTtlDefault(const struct ctx *x, struct slotc_sync *s,
                               const char *pool)
{
    struct slotc_req req;
    reqInit(x, &req);
    if (slotc_sync_read_pool(s, &req, pool) != SLOT_OK ||
        !req.out.pools[0].scheduled) {
        return HOLD_TTL_DEFAULT_MS;
    }
    char hospital[SLOTC_NAME_MAX + 1], dep[SLOTC_NAME_MAX + 1];
    snprintf(hospital, sizeof hospital, "%s", req.out.pools[0].place.hospital);
    snprintf(dep, sizeof dep, "%s", req.out.pools[0].place.department);
    reqInit(x, &req);
    if (slotc_sync_read_rules(s, &req, hospital, dep) != SLOT_OK) {
        return HOLD_TTL_DEFAULT_MS;
    }
    const struct slotc_rules *r = &req.out.rules[0].rules;
    if (r->pay_ttl_ms > 0) {
        return 0;
    }
    return r->pay_ttl_max_ms > 0 && r->pay_ttl_max_ms < HOLD_TTL_DEFAULT_MS
               ? r->pay_ttl_max_ms
               : HOLD_TTL_DEFAULT_MS;
}

static struct slot_str cstr(const char *s)
{
    return (struct slot_str){s, (uint32_t)strnlen(s, UINT32_MAX)};
}

/* The protocol's rules for the HOLD's arguments (slot_valid.h): a hold
 * libslot refuses at once is not worth the reads of its default ttl. */
static bool holdArgsValid(const char *pool, const char *patient,
                          const char *channel)
{
    return slot_valid_pool_id(cstr(pool)) == SLOT_OK &&
           slot_valid_patient_key(cstr(patient)) == SLOT_OK &&
           slot_valid_channel(cstr(channel)) == SLOT_OK;
}

static int cmdHold(const struct ctx *x, const struct cli *cl)
{
    if (cl->n_pos != 3) {
        return usageError("hold", "hold needs POOL and PATIENT");
    }
    const char *channel =
        optVal(cl, "channel") != NULL ? optVal(cl, "channel") : "slotctl";
    uint64_t ttl = 0;
    bool ttl_given = optVal(cl, "ttl-ms") != NULL;
    if (ttl_given && !parseU64(optVal(cl, "ttl-ms"), UINT32_MAX, &ttl)) {
        return usageError("hold", "bad --ttl-ms");
    }
    int rc;
    struct slotc_sync *s = openSync(x, &rc);
    if (s == NULL) {
        return emitError(rc, "bad --cluster", NULL);
    }
    if (!ttl_given && holdArgsValid(cl->pos[1], cl->pos[2], channel)) {
        ttl = holdTtlDefault(x, s, cl->pos[1]);
    }
    struct slotc_req req;
    reqInit(x, &req);
    const char *account = optVal(cl, "account");
    rc = slotc_sync_hold_account(s, &req, cl->pos[1], cl->pos[2], channel,
                                 account, (uint32_t)ttl);
    int ex = rc == SLOT_OK
                 ? emit(cmdLabel(
                       json_pack("{s:I, s:I, s:s, s:s, s:s, s:I, s:s}", "hold",
                                 (json_int_t)req.out.id, "deadline_ms",
                                 (json_int_t)req.out.deadline_ms, "pool",
                                 cl->pos[1], "patient", cl->pos[2], "channel",
                                 channel, "ttl_ms", (json_int_t)ttl, "account",
                                 account != NULL ? account : ""),
                       &req))
                 : reqError(&req, rc);
    slotc_sync_close(s);
    return ex;
}

/* confirm, release, cancel, move, checkin: a claim's id, and maybe a
 * payment ref (confirm), a target pool (move) or a patient (checkin). */
static int cmdId(const struct ctx *x, const struct cli *cl, const char *name)
{
    bool confirm = strcmp(name, "confirm") == 0,
         move = strcmp(name, "move") == 0,
         checkin = strcmp(name, "checkin") == 0;
    uint64_t id;
    if (cl->n_pos != ((move || checkin) ? 3 : 2) &&
        !(confirm && cl->n_pos == 3)) {
        return usageError(name, "wrong number of arguments");
    }
    if (!parseU64(cl->pos[1], UINT64_MAX, &id)) {
        return usageError(name, "bad id '%s'", cl->pos[1]);
    }
    /* Without --as: an administrator (caller ""). */
    const char *as = optVal(cl, "as"), *account = optVal(cl, "account");
    if (account != NULL && as == NULL) {
        return usageError(name, "--account needs --as CHANNEL");
    }
    const char *method = optVal(cl, "pay-method");
    if (method != NULL &&
        (confirm ? cl->n_pos != 3 : optVal(cl, "payment-ref") == NULL)) {
        return usageError(name, "--pay-method names how a payment reference "
                                "was paid: it needs one");
    }
    int rc;
    struct slotc_sync *s = openSync(x, &rc);
    if (s == NULL) {
        return emitError(rc, "bad --cluster", NULL);
    }
    struct slotc_req req;
    reqInit(x, &req);
    json_t *out = NULL;
    if (confirm) {
        const char *ref = cl->n_pos == 3 ? cl->pos[2] : NULL;
        rc = slotc_sync_confirm_pay(s, &req, id, ref, method, as, account);
        if (rc == SLOT_OK) {
            out = json_pack("{s:I, s:I, s:b, s:s}", "booking",
                            (json_int_t)req.out.id, "visit_no",
                            (json_int_t)req.out.visit_no, "paid", ref != NULL,
                            "pay_method", method != NULL ? method : "");
        }
    } else if (strcmp(name, "release") == 0) {
        rc = slotc_sync_release_as(s, &req, id, as, account);
        if (rc == SLOT_OK) {
            out = json_pack("{s:I}", "released", (json_int_t)id);
        }
    } else if (move) {
        rc = slotc_sync_move(s, &req, id, cl->pos[2], as, account);
        if (rc == SLOT_OK) {
            out =
                json_pack("{s:I, s:I, s:s, s:I}", "moved", (json_int_t)id,
                          "booking", (json_int_t)req.out.id, "pool", cl->pos[2],
                          "visit_no", (json_int_t)req.out.visit_no);
        }
    } else if (checkin) {
        rc = slotc_sync_checkin_pay(s, &req, id, cl->pos[2],
                                    optVal(cl, "payment-ref"), method);
        if (rc == SLOT_OK) {
            out = json_pack("{s:I, s:s, s:I}", "checked_in", (json_int_t)id,
                            "patient", cl->pos[2], "visit_no",
                            (json_int_t)req.out.visit_no);
        }
    } else {
        rc = slotc_sync_cancel_as(s, &req, id, as, account);
        if (rc == SLOT_OK) {
            out = json_pack("{s:I}", "cancelled", (json_int_t)id);
        }
    }
    int ex = out != NULL ? emit(cmdLabel(out, &req)) : reqError(&req, rc);
    slotc_sync_close(s);
    return ex;
}

static int cmdShow(const struct ctx *x, const struct cli *cl)
{
    if (cl->n_pos < 2) {
        return usageError("show",
                          "show needs hold, booking, patient or ledger");
    }
    const char *what = cl->pos[1];
    bool hold = strcmp(what, "hold") == 0,
         booking = strcmp(what, "booking") == 0,
         patient = strcmp(what, "patient") == 0,
         ledger = strcmp(what, "ledger") == 0;
    uint64_t id = 0;
    if (!hold && !booking && !patient && !ledger) {
        return usageError("show", "unknown show subcommand '%s'", what);
    }
    if (cl->n_pos != (patient ? 4 : ledger ? 2 : 3)) {
        return usageError("show", "wrong number of arguments");
    }
    if ((hold || booking) && !parseU64(cl->pos[2], UINT64_MAX, &id)) {
        return usageError("show", "bad id '%s'", cl->pos[2]);
    }
    int rc;
    struct slotc_sync *s = openSync(x, &rc);
    if (s == NULL) {
        return emitError(rc, "bad --cluster", NULL);
    }
    struct slotc_req req;
    reqInit(x, &req);
    json_t *out = NULL;
    if (hold || booking) {
        rc = hold ? slotc_sync_read_hold(s, &req, id)
                  : slotc_sync_read_booking(s, &req, id);
        if (rc == SLOT_OK) {
            out = jsonClaim(&req.out.claims[0]);
        }
    } else if (patient) {
        rc = slotc_sync_read_patient(s, &req, cl->pos[2], cl->pos[3]);
        if (rc == SLOT_OK) {
            json_t *arr = json_array();
            for (uint32_t i = 0; i < req.out.n_claims; i++) {
                json_array_append_new(arr, jsonClaim(&req.out.claims[i]));
            }
            out = json_pack("{s:s, s:s, s:o}", "pool", cl->pos[2], "patient",
                            cl->pos[3], "claims", arr);
        }
    } else {
        bool hash = optVal(cl, "hash") != NULL;
        if (!hash) {
            req.flags |= SLOTC_NO_HASH;
        }
        rc = slotc_sync_read_ledger(s, &req);
        if (rc == SLOT_OK) {
            const struct slotc_ledger_info *l = req.out.ledger;
            out = json_object();
            json_object_set_new(out, "time_ms", jsonU64(l->time_ms));
            json_object_set_new(out, "state_hash",
                                hash ? jsonHash(l->state_hash) : json_null());
            json_object_set_new(out, "pools", jsonU64(l->pools));
            json_object_set_new(out, "patients", jsonU64(l->patients));
            json_object_set_new(out, "channels", jsonU64(l->channels));
            json_object_set_new(out, "sessions", jsonU64(l->sessions));
            json_object_set_new(out, "holds_active", jsonU64(l->holds_active));
            json_object_set_new(out, "bookings_active",
                                jsonU64(l->bookings_active));
            json_object_set_new(out, "retained", jsonU64(l->retained));
            json_object_set_new(out, "config", jsonConfig(&l->config));
        }
    }
    int ex = out != NULL ? emit(readLabel(out, &req)) : reqError(&req, rc);
    slotc_sync_close(s);
    return ex;
}

/* A fresh cool-down key. */
static bool randomKey(uint64_t key[2])
{
    FILE *f = fopen("/dev/urandom", "rb");
    bool ok = f != NULL && fread(key, sizeof key[0], 2, f) == 2;
    if (f != NULL) {
        fclose(f);
    }
    return ok;
}

static int cmdConfig(const struct ctx *x, const struct cli *cl)
{
    if (cl->n_pos != 1) {
        return usageError("config", "config takes options only");
    }
    int rc;
    struct slotc_sync *s = openSync(x, &rc);
    if (s == NULL) {
        return emitError(rc, "bad --cluster", NULL);
    }
    struct slotc_req req;
    reqInit(x, &req);
    req.flags |= SLOTC_NO_HASH; /* only the configuration is wanted */
    rc = slotc_sync_read_ledger(s, &req);
    if (rc != SLOT_OK) {
        int ex = reqError(&req, rc);
        slotc_sync_close(s);
        return ex;
    }
    struct slotc_config cfg = req.out.ledger->config;
    uint64_t v;
    bool change = false;
    struct {
        const char *name;
        uint64_t max;
        void *dst;
        bool wide;
    } f[] = {
        {"hold-ttl-min-ms", UINT32_MAX, &cfg.hold_ttl_min_ms, false},
        {"hold-ttl-max-ms", UINT32_MAX, &cfg.hold_ttl_max_ms, false},
        {"session-max", UINT32_MAX, &cfg.session_max, false},
        {"session-idle-ms", UINT64_MAX, &cfg.session_idle_ms, true},
        {"retain-ms", UINT64_MAX, &cfg.retain_ms, true},
        {"retain-max", UINT32_MAX, &cfg.retain_max, false},
        /* protocol 3 (from here on: V3_FIRST) */
        {"account-patients-max", UINT32_MAX, &cfg.account_patients_max, false},
        {"account-changes-max", UINT32_MAX, &cfg.account_changes_max, false},
        {"account-change-window-days", UINT32_MAX,
         &cfg.account_change_window_days, false},
        {"account-change-patients-max", UINT32_MAX,
         &cfg.account_change_patients_max, false},
        {"patient-active-max", UINT32_MAX, &cfg.patient_active_max, false}};
    enum { V3_FIRST = 6 };
    bool change_v3 = false;
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        const char *val = optVal(cl, f[i].name);
        if (val == NULL) {
            continue;
        }
        if (!parseU64(val, f[i].max, &v)) {
            slotc_sync_close(s);
            return usageError("config", "bad --%s '%s'", f[i].name, val);
        }
        if (f[i].wide) {
            *(uint64_t *)f[i].dst = v;
        } else {
            *(uint32_t *)f[i].dst = (uint32_t)v;
        }
        change = true;
        change_v3 = change_v3 || i >= V3_FIRST;
    }
    /* The read config has v3 set and a zero key (never disclosed): send
     * the protocol 3 fields only when one of them changes, with a fresh
     * key, so that a change of the others keeps the ledger's key. */
    cfg.v3 = change_v3;
    if (change_v3 && !randomKey(cfg.cooldown_key)) {
        slotc_sync_close(s);
        return emitError(SLOT_IO, "cannot read /dev/urandom for the key", NULL);
    } else if (!change_v3) {
        cfg.account_patients_max = cfg.account_changes_max = 0;
        cfg.account_change_window_days = cfg.account_change_patients_max = 0;
        cfg.patient_active_max = 0;
        cfg.cooldown_key[0] = cfg.cooldown_key[1] = 0;
    }
    json_t *out = NULL;
    if (!change) {
        out = readLabel(jsonConfig(&req.out.ledger->config), &req);
    } else {
        struct slotc_req w;
        reqInit(x, &w);
        rc = slotc_sync_config(s, &w, &cfg);
        if (rc == SLOT_OK) {
            /* What the ledger now holds: the read's v3 fields unless they
             * were sent. */
            struct slotc_config shown = cfg;
            if (!change_v3) {
                reqInit(x, &req);
                req.flags |= SLOTC_NO_HASH;
                if (slotc_sync_read_ledger(s, &req) == SLOT_OK) {
                    shown = req.out.ledger->config;
                }
            }
            out = cmdLabel(jsonConfig(&shown), &w);
        } else {
            req = w;
        }
    }
    int ex = out != NULL ? emit(out) : reqError(&req, rc);
    slotc_sync_close(s);
    return ex;
}

/* ---- patients, accounts and staff (protocol 3) ------------------------- */

/* The idempotency key's namespace for slotctl's admin commands: the
 * gateway's admin token's channel, so that a key means one thing whichever
 * of the two sent it. */
#define ADMIN_IDEM_CHANNEL "admin"

static void idemFrom(const struct cli *cl, struct slotc_req *req)
{
    req->idem_key = optVal(cl, "idem-key");
    req->idem_channel = req->idem_key != NULL ? ADMIN_IDEM_CHANNEL : NULL;
}

static int cmdAccount(const struct ctx *x, const struct cli *cl)
{
    if (cl->n_pos < 2) {
        return usageError("account", "account needs bind, unbind or show");
    }
    const char *sub = cl->pos[1];
    bool bind = strcmp(sub, "bind") == 0, unbind = strcmp(sub, "unbind") == 0,
         show = strcmp(sub, "show") == 0;
    if (!bind && !unbind && !show) {
        return usageError("account", "unknown account subcommand '%s'", sub);
    }
    if (cl->n_pos != (show ? 3 : 4)) {
        return usageError("account",
                          show ? "account show needs ACCOUNT"
                               : "account %s needs ACCOUNT and "
                                 "PATIENT",
                          sub);
    }
    int ex = subOpts(cl, "account", sub, show ? " " : " idem-key ");
    if (ex != EXIT_OK_) {
        return ex;
    }
    int rc;
    struct slotc_sync *s = openSync(x, &rc);
    if (s == NULL) {
        return emitError(rc, "bad --cluster", NULL);
    }
    struct slotc_req req;
    reqInit(x, &req);
    json_t *out = NULL;
    if (show) {
        rc = slotc_sync_read_account(s, &req, cl->pos[2]);
        if (rc == SLOT_OK) {
            const struct slotc_account_info *a = req.out.account;
            json_t *pats = json_array(), *chg = json_array();
            for (uint32_t i = 0; i < a->n_patients; i++) {
                json_array_append_new(pats, json_string(a->patients[i]));
            }
            for (uint32_t i = 0; i < a->n_changes; i++) {
                json_array_append_new(
                    chg, json_pack("{s:I, s:I}", "at_ms",
                                   (json_int_t)a->changes[i].at_ms, "unbinds",
                                   (json_int_t)a->changes[i].unbinds));
            }
            out = readLabel(json_pack("{s:s, s:o, s:o}", "account", cl->pos[2],
                                      "patients", pats, "changes", chg),
                            &req);
        }
    } else {
        idemFrom(cl, &req);
        rc = bind ? slotc_sync_account_bind(s, &req, cl->pos[2], cl->pos[3])
                  : slotc_sync_account_unbind(s, &req, cl->pos[2], cl->pos[3]);
        if (rc == SLOT_OK) {
            out = cmdLabel(json_pack("{s:b, s:s, s:s, s:I}", "ok", 1, "account",
                                     cl->pos[2], "patient", cl->pos[3], "bound",
                                     (json_int_t)req.out.bound),
                           &req);
        }
    }
    ex = out != NULL ? emit(out) : reqError(&req, rc);
    slotc_sync_close(s);
    return ex;
}

/* waitlist join|leave|show POOL PATIENT. */
static int cmdWaitlist(const struct ctx *x, const struct cli *cl)
{
    if (cl->n_pos < 2) {
        return usageError("waitlist", "waitlist needs join, leave or show");
    }
    const char *sub = cl->pos[1];
    bool join = strcmp(sub, "join") == 0, leave = strcmp(sub, "leave") == 0,
         show = strcmp(sub, "show") == 0;
    if (!join && !leave && !show) {
        return usageError("waitlist", "unknown waitlist subcommand '%s'", sub);
    }
    if (cl->n_pos != 4) {
        return usageError("waitlist", "waitlist %s needs POOL and PATIENT",
                          sub);
    }
    int ex = subOpts(cl, "waitlist", sub,
                     join    ? " channel account idem-key "
                     : leave ? " as account idem-key "
                             : " ");
    if (ex != EXIT_OK_) {
        return ex;
    }
    const char *as = optVal(cl, "as"), *account = optVal(cl, "account");
    if (leave && account != NULL && as == NULL) {
        return usageError("waitlist", "--account needs --as CHANNEL");
    }
    const char *channel =
        optVal(cl, "channel") != NULL ? optVal(cl, "channel") : "slotctl";
    const char *pool = cl->pos[2], *patient = cl->pos[3];
    int rc;
    struct slotc_sync *s = openSync(x, &rc);
    if (s == NULL) {
        return emitError(rc, "bad --cluster", NULL);
    }
    struct slotc_req req;
    reqInit(x, &req);
    json_t *out = NULL;
    if (show) {
        rc = slotc_sync_read_waitlist(s, &req, pool, patient);
        if (rc == SLOT_OK) {
            out = readLabel(json_pack("{s:s, s:s, s:I, s:I}", "pool", pool,
                                      "patient", patient, "position",
                                      (json_int_t)req.out.position, "length",
                                      (json_int_t)req.out.length),
                            &req);
        }
    } else if (join) {
        idemFrom(cl, &req);
        rc = slotc_sync_waitlist_join(s, &req, pool, patient, channel, account);
        if (rc == SLOT_OK) {
            out = cmdLabel(json_pack("{s:b, s:s, s:s, s:s, s:s, s:I}", "ok", 1,
                                     "pool", pool, "patient", patient,
                                     "channel", channel, "account",
                                     account != NULL ? account : "", "position",
                                     (json_int_t)req.out.position),
                           &req);
        }
    } else {
        idemFrom(cl, &req);
        rc = slotc_sync_waitlist_leave(s, &req, pool, patient, as, account);
        if (rc == SLOT_OK) {
            out = cmdLabel(json_pack("{s:b, s:s, s:s}", "ok", 1, "pool", pool,
                                     "patient", patient),
                           &req);
        }
    }
    ex = out != NULL ? emit(out) : reqError(&req, rc);
    slotc_sync_close(s);
    return ex;
}

static json_t *nameOrNull(const char *name)
{
    return name != NULL ? json_string(name) : json_null();
}

static json_t *patientInfoJson(const struct slotc_patient_info *p)
{
    json_t *claims = json_array(), *viol = json_array(), *st = json_array(),
           *cancels = json_array();
    for (uint32_t i = 0; i < p->n_claims; i++) {
        json_array_append_new(claims, jsonClaim(&p->claims[i]));
    }
    for (uint32_t i = 0; i < p->n_violations; i++) {
        const struct slotc_violation *v = &p->violations[i];
        json_array_append_new(
            viol, json_pack("{s:I, s:s, s:o}", "at_ms", (json_int_t)v->at_ms,
                            "hospital", v->hospital, "kind",
                            nameOrNull(slotc_violation_name(v->kind))));
    }
    for (uint32_t i = 0; i < p->n_standing; i++) {
        const struct slotc_standing *d = &p->standing[i];
        json_array_append_new(
            st, json_pack("{s:s, s:I, s:I, s:b, s:b, s:I, s:b}", "hospital",
                          d->hospital, "violations", (json_int_t)d->violations,
                          "threshold", (json_int_t)d->threshold, "warning",
                          d->warning, "blacklisted",
                          d->blacklisted_until_ms != 0, "blacklisted_until_ms",
                          (json_int_t)d->blacklisted_until_ms, "exception",
                          d->exception));
    }
    for (uint32_t i = 0; i < p->n_cancels; i++) {
        json_array_append_new(cancels, jsonU64(p->cancels_ms[i]));
    }
    return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "patient", p->patient,
                     "account", p->account, "claims", claims, "violations",
                     viol, "standings", st, "cancellations_ms", cancels);
}

static int cmdPatient(const struct ctx *x, const struct cli *cl)
{
    if (cl->n_pos != 3 || strcmp(cl->pos[1], "info") != 0) {
        return usageError("patient", "usage: patient info PATIENT");
    }
    int rc;
    struct slotc_sync *s = openSync(x, &rc);
    if (s == NULL) {
        return emitError(rc, "bad --cluster", NULL);
    }
    struct slotc_req req;
    reqInit(x, &req);
    rc = slotc_sync_read_patient_info(s, &req, cl->pos[2]);
    int ex = rc == SLOT_OK
                 ? emit(readLabel(patientInfoJson(req.out.patient_info), &req))
                 : reqError(&req, rc);
    slotc_sync_close(s);
    return ex;
}

/* violation add, unblock, exception: HOSPITAL PATIENT, who and why; stop:
 * POOL, who and why (the doctor's stoppage). */
static int cmdStaff(const struct ctx *x, const struct cli *cl, const char *name)
{
    bool violation = strcmp(name, "violation") == 0,
         stopping = strcmp(name, "stop") == 0;
    int first = violation ? 2 : 1; /* where HOSPITAL (stop: POOL) is */
    if (violation && (cl->n_pos < 2 || strcmp(cl->pos[1], "add") != 0)) {
        return usageError(name, "violation needs add");
    }
    if (stopping && cl->n_pos != 2) {
        return usageError(name, "stop needs POOL");
    }
    if (!stopping && cl->n_pos != first + 2) {
        return usageError(name, "%s needs HOSPITAL and PATIENT", name);
    }
    int kind = 0;
    if (violation &&
        (optVal(cl, "kind") == NULL ||
         (kind = slotc_violation_from_name(optVal(cl, "kind"))) < 0 ||
         kind == SLOTC_VIOLATION_UNPAID)) {
        return usageError(name, "--kind is no_show or other");
    }
    if (!violation && optVal(cl, "kind") != NULL) {
        return usageError(name, "%s does not take --kind", name);
    }
    if (optVal(cl, "operator") == NULL || optVal(cl, "reason") == NULL) {
        return usageError(name,
                          "%s needs --operator and --reason (they go "
                          "into the staff log)",
                          name);
    }
    const char *h = cl->pos[first], *patient = cl->pos[first + 1];
    const char *op = optVal(cl, "operator"), *why = optVal(cl, "reason");
    int rc;
    struct slotc_sync *s = openSync(x, &rc);
    if (s == NULL) {
        return emitError(rc, "bad --cluster", NULL);
    }
    struct slotc_req req;
    reqInit(x, &req);
    idemFrom(cl, &req);
    json_t *out = NULL;
    if (stopping) {
        /* h is the pool */
        rc = slotc_sync_pool_stop(s, &req, h, op, why);
        if (rc == SLOT_OK) {
            out = json_pack("{s:b, s:s, s:I, s:I}", "ok", 1, "pool", h,
                            "bookings", (json_int_t)req.out.bookings, "holds",
                            (json_int_t)req.out.holds);
        }
    } else if (violation) {
        rc = slotc_sync_violation(s, &req, h, patient, kind, op, why);
        if (rc == SLOT_OK) {
            out = json_pack(
                "{s:b, s:s, s:s, s:s, s:I, s:I}", "ok", 1, "hospital", h,
                "patient", patient, "kind", slotc_violation_name(kind),
                "violations", (json_int_t)req.out.violations,
                "blacklisted_until_ms", (json_int_t)req.out.until_ms);
        }
    } else if (strcmp(name, "unblock") == 0) {
        rc = slotc_sync_unblock(s, &req, h, patient, op, why);
        if (rc == SLOT_OK) {
            out = json_pack("{s:b, s:s, s:s, s:b}", "ok", 1, "hospital", h,
                            "patient", patient, "lifted", req.out.lifted);
        }
    } else {
        rc = slotc_sync_exception(s, &req, h, patient, op, why);
        if (rc == SLOT_OK) {
            out = json_pack("{s:b, s:s, s:s}", "ok", 1, "hospital", h,
                            "patient", patient);
        }
    }
    int ex = out != NULL ? emit(cmdLabel(out, &req)) : reqError(&req, rc);
    slotc_sync_close(s);
    return ex;
}

/* A page's --after (a number: `what` says of what) and --limit
 * (1..SLOTC_LIST_MAX), each left as it is when absent. */
static int pageOpts(const struct cli *cl, const char *cmd, const char *what,
                    uint64_t *after, uint64_t *limit)
{
    if (optVal(cl, "after") != NULL &&
        !parseU64(optVal(cl, "after"), UINT64_MAX, after)) {
        return usageError(cmd, "--after is %s", what);
    }
    if (optVal(cl, "limit") != NULL &&
        (!parseU64(optVal(cl, "limit"), SLOTC_LIST_MAX, limit) ||
         *limit == 0)) {
        return usageError(cmd, "--limit is 1..%d", SLOTC_LIST_MAX);
    }
    return EXIT_OK_;
}

static const char *staffOpName(int op)
{
    switch (op) {
        case SLOTC_OP_VIOLATION:
            return "violation";
        case SLOTC_OP_UNBLOCK:
            return "unblock";
        case SLOTC_OP_POOL_STOP:
            return "pool_stop";
        default:
            return "exception";
    }
}

/* ---- the visit day -------------------------------------------------------- */

static json_t *staffLogJson(const struct slotc_req *req)
{
    json_t *arr = json_array();
    for (uint32_t i = 0; i < req->out.n_staff; i++) {
        const struct slotc_staff_entry *e = &req->out.staff[i];
        json_array_append_new(
            arr,
            json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:s}", "seq",
                      (json_int_t)e->seq, "at_ms", (json_int_t)e->at_ms, "op",
                      staffOpName(e->op), "hospital", e->hospital, "patient",
                      e->patient, "pool", e->pool, "kind",
                      nameOrNull(slotc_violation_name(e->kind)), "operator",
                      e->operator_name, "reason", e->reason));
    }
    return json_pack("{s:o}", "entries", arr);
}

/* A page of a pool's claims; a full page may have a next one (next_after),
 * a short one is the last. */
static json_t *poolClaimsJson(const char *pool, const struct slotc_req *req,
                              uint64_t limit)
{
    json_t *arr = json_array();
    for (uint32_t i = 0; i < req->out.n_claims; i++) {
        json_array_append_new(arr, jsonClaim(&req->out.claims[i]));
    }
    json_t *next = req->out.n_claims == limit
                       ? jsonU64(req->out.claims[req->out.n_claims - 1].id)
                       : json_null();
    return json_pack("{s:s, s:o, s:o}", "pool", pool, "claims", arr,
                     "next_after", next);
}

/* staff-log and pool-claims POOL: one page of a list after --after. */
static int cmdPage(const struct ctx *x, const struct cli *cl, const char *name)
{
    bool claims = strcmp(name, "pool-claims") == 0;
    uint64_t after = 0, limit = 100;
    if (cl->n_pos != (claims ? 2 : 1)) {
        return usageError(name, claims ? "pool-claims needs POOL"
                                       : "staff-log takes options only");
    }
    int ex = pageOpts(cl, name, claims ? "a claim id" : "a sequence number",
                      &after, &limit);
    if (ex != EXIT_OK_) {
        return ex;
    }
    int rc;
    struct slotc_sync *s = openSync(x, &rc);
    if (s == NULL) {
        return emitError(rc, "bad --cluster", NULL);
    }
    struct slotc_req req;
    reqInit(x, &req);
    json_t *out = NULL;
    if (claims) {
        rc = slotc_sync_read_pool_claims(s, &req, cl->pos[1], after,
                                         (uint32_t)limit);
        out = rc == SLOT_OK ? poolClaimsJson(cl->pos[1], &req, limit) : NULL;
    } else {
        rc = slotc_sync_read_staff_log(s, &req, after, (uint32_t)limit);
        out = rc == SLOT_OK ? staffLogJson(&req) : NULL;
    }
    ex = out != NULL ? emit(readLabel(out, &req)) : reqError(&req, rc);
    slotc_sync_close(s);
    return ex;
}

/* ---- the event feed -------------------------------------------------------- */

static volatile sig_atomic_t g_stop; /* --follow: SIGINT or SIGTERM seen */

static void onStopSignal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static json_t *jsonEvent(const struct slotc_event *e)
{
    const char *type = slotc_event_name(e->type);
    json_t *o = json_object();
    json_object_set_new(o, "seq", jsonU64(e->seq));
    json_object_set_new(o, "index", jsonU64(e->index));
    json_object_set_new(o, "time_ms", jsonU64(e->time_ms));
    json_object_set_new(o, "type", json_string(type != NULL ? type : "?"));
    json_object_set_new(o, "pool", json_string(e->pool));
    json_object_set_new(o, "claim", jsonU64(e->claim));
    json_object_set_new(o, "patient", json_string(e->patient));
    json_object_set_new(o, "channel", json_string(e->channel));
    json_object_set_new(o, "account", json_string(e->account));
    json_object_set_new(o, "hospital", json_string(e->hospital));
    json_object_set_new(o, "a", jsonU64(e->a));
    json_object_set_new(o, "b", jsonU64(e->b));
    json_object_set_new(o, "fee_cents", jsonU64(e->fee_cents));
    json_object_set_new(o, "payment_ref", json_string(e->payment_ref));
    json_object_set_new(o, "pay_method", json_string(e->pay_method));
    json_object_set_new(o, "local_day", jsonU64(e->local_day));
    return o;
}

/* printEvents' "stop": no status code is negative. */
#define FOLLOW_STOPPED (-1)

/* Prints a page, one line per event, and flushes it: a follower's output
 * is read as it comes (a pipe would otherwise hold it back). Returns
 * FOLLOW_STOPPED once a stop signal arrived, else 0. */
static int printEvents(struct slotc_req *req)
{
    for (uint32_t i = 0; i < req->out.n_events; i++) {
        json_t *o = jsonEvent(&req->out.events[i]);
        char *line = json_dumps(o, JSON_COMPACT);
        puts(line != NULL ? line : "{}");
        free(line);
        json_decref(o);
    }
    fflush(stdout);
    return g_stop ? FOLLOW_STOPPED : 0;
}

/* The error of a feed read: the cursor reached, and for CURSOR_EXPIRED
 * the oldest seq held. */
static int eventsError(const struct slotc_req *req, int rc, uint64_t after)
{
    json_t *extra = json_pack("{s:I}", "after", (json_int_t)after);
    if (rc != SLOT_CURSOR_EXPIRED) {
        return emitError(rc, NULL, extra);
    }
    char msg[160];
    snprintf(msg, sizeof msg,
             "events after seq %llu were dropped; the oldest held is seq %llu "
             "(--after %llu reads on from there)",
             (unsigned long long)after, (unsigned long long)req->out.first,
             (unsigned long long)(req->out.first - 1));
    json_object_set_new(extra, "first", jsonU64(req->out.first));
    return emitError(rc, msg, extra);
}

static int cmdEvents(const struct ctx *x, const struct cli *cl)
{
    uint64_t after = 0, limit = 100, interval = 1000;
    if (cl->n_pos != 1) {
        return usageError("events", "events takes options only");
    }
    int ex = pageOpts(cl, "events", "a sequence number", &after, &limit);
    if (ex != EXIT_OK_) {
        return ex;
    }
    bool follow = optVal(cl, "follow") != NULL;
    const char *iv = optVal(cl, "interval-ms");
    if (iv != NULL &&
        (!follow || !parseU64(iv, 3600000, &interval) || interval == 0)) {
        return usageError("events", "--interval-ms is 1..3600000, with "
                                    "--follow");
    }
    int rc;
    struct slotc_sync *s = openSync(x, &rc);
    if (s == NULL) {
        return emitError(rc, "bad --cluster", NULL);
    }
    struct slotc_req req;
    reqInit(x, &req);
    if (follow) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = onStopSignal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        rc = slotc_sync_events_follow(s, &req, &after, (uint32_t)limit,
                                      (uint32_t)interval, printEvents);
        rc = rc == FOLLOW_STOPPED ? SLOT_OK : rc;
    } else {
        rc = slotc_sync_read_events(s, &req, after, (uint32_t)limit);
        if (rc == SLOT_OK) {
            printEvents(&req);
        }
    }
    ex = rc == SLOT_OK ? EXIT_OK_ : eventsError(&req, rc, after);
    slotc_sync_close(s);
    return ex;
}

/* ---- audit: the archive of the event feed ------------------------------- */

/* An archived line is already an event's JSON: printed as it is. */
static int auditPrint(void *arg, const char *line, size_t len,
                      const struct slotc_event *e)
{
    (void)arg;
    (void)e;
    fwrite(line, 1, len, stdout);
    fputc('\n', stdout);
    return 0;
}

static void auditWarn(void *arg, const char *msg)
{
    (void)arg;
    fprintf(stderr, "slotctl audit: %s\n", msg);
}

static int cmdAudit(const struct cli *cl)
{
    const char *dir = optVal(cl, "dir");
    bool patient = cl->n_pos == 3 && strcmp(cl->pos[1], "patient") == 0;
    bool pool = cl->n_pos == 3 && strcmp(cl->pos[1], "pool") == 0;
    if ((!patient && !pool) || dir == NULL) {
        return usageError("audit", "audit patient KEY --dir DIR, or audit "
                                   "pool POOL --dir DIR");
    }
    struct archive_scan_report rep;
    int rc =
        archive_scan(dir, patient ? cl->pos[2] : NULL, pool ? cl->pos[2] : NULL,
                     auditPrint, NULL, auditWarn, &rep);
    fflush(stdout);
    if (rc == SLOT_IO) {
        return usageError("audit", "cannot read the archive in %s", dir);
    }
    if (rep.bad_checksum == 0 && rep.bad_files == 0 && rep.gaps == 0) {
        return EXIT_OK_;
    }
    char msg[256];
    snprintf(msg, sizeof msg,
             "the archive in %s is damaged: %u file(s) failed their checksum "
             "(not read), %u could not be read whole, %llu seq gap(s) or "
             "repeat(s)",
             dir, rep.bad_checksum, rep.bad_files,
             (unsigned long long)rep.gaps);
    json_t *extra =
        json_pack("{s:I, s:I, s:I, s:I}", "files", (json_int_t)rep.files,
                  "bad_checksum", (json_int_t)rep.bad_checksum, "bad_files",
                  (json_int_t)rep.bad_files, "gaps", (json_int_t)rep.gaps);
    return emitError(SLOT_CORRUPT, msg, extra);
}

/* ---- reconcile and stats: the money of a day (recon.h) ------------------- */

/* Pages of a list read one command makes at most (SLOTC_LIST_MAX rows
 * each): far more than a day's rows (at most 16 methods per channel). */
#define RECON_PAGES_MAX 64
/* Event pages of the feed: its window is at most 1M events. */
#define FEED_PAGES_MAX 1100

/* Every READ_RECON row of the day (all pages) into *out (malloc'd). */
static int readRecon(const struct ctx *x, struct slotc_sync *s, uint32_t day,
                     const char *hospital, const char *channel,
                     struct slotc_recon_row **out, uint32_t *n,
                     uint32_t *kept_from_day, struct slotc_req *req)
{
    *out = NULL;
    *n = 0;
    uint32_t cap = 0;
    for (int page = 0; page < RECON_PAGES_MAX; page++) {
        reqInit(x, req);
        int rc = slotc_sync_read_recon(s, req, day, hospital, channel, *n,
                                       SLOTC_LIST_MAX);
        if (rc != SLOT_OK) {
            return rc;
        }
        *kept_from_day = req->out.kept_from_day;
        if (*n + req->out.n_recon > cap) {
            cap = *n + req->out.n_recon + SLOTC_LIST_MAX;
            struct slotc_recon_row *v = realloc(*out, cap * sizeof *v);
            if (v == NULL) {
                return SLOT_BUSY;
            }
            *out = v;
        }
        memcpy(*out + *n, req->out.recon,
               req->out.n_recon * sizeof req->out.recon[0]);
        *n += req->out.n_recon;
        if (req->out.n_recon < SLOTC_LIST_MAX || *n >= req->out.total) {
            return SLOT_OK;
        }
    }
    return SLOT_OK;
}

/* Every READ_STATS row of days from..to (all pages) into *out. */
static int readStats(const struct ctx *x, struct slotc_sync *s,
                     const char *hospital, uint32_t from, uint32_t to,
                     struct slotc_stats_row **out, uint32_t *n,
                     struct slotc_req *req)
{
    *out = NULL;
    *n = 0;
    uint32_t cap = 0;
    for (int page = 0; page < RECON_PAGES_MAX; page++) {
        reqInit(x, req);
        int rc = slotc_sync_read_stats(s, req, hospital, from, to, *n,
                                       SLOTC_LIST_MAX);
        if (rc != SLOT_OK) {
            return rc;
        }
        if (*n + req->out.n_stats > cap) {
            cap = *n + req->out.n_stats + SLOTC_LIST_MAX;
            struct slotc_stats_row *v = realloc(*out, cap * sizeof *v);
            if (v == NULL) {
                return SLOT_BUSY;
            }
            *out = v;
        }
        memcpy(*out + *n, req->out.stats,
               req->out.n_stats * sizeof req->out.stats[0]);
        *n += req->out.n_stats;
        if (req->out.n_stats < SLOTC_LIST_MAX || *n >= req->out.total) {
            return SLOT_OK;
        }
    }
    return SLOT_OK;
}

struct feedState {
    struct recon *r;
    int rc;
};

static int reconFromArchive(void *arg, const char *line, size_t len,
                            const struct slotc_event *e)
{
    (void)line;
    (void)len;
    struct feedState *f = arg;
    f->rc = recon_feed(f->r, e);
    return f->rc != SLOT_OK ? 1 : 0;
}

static void reconWarn(void *arg, const char *msg)
{
    (void)arg;
    fprintf(stderr, "slotctl reconcile: %s\n", msg);
}

/* The lines of day from the feed: from the oldest event held up to the
 * first event past any local time of the day (UTC + 14 h is the latest
 * local time: an event after (day + 2) 00:00 UTC is no local day's D).
 * *partial when the feed no longer holds the day's start. */
static int feedLines(const struct ctx *x, struct slotc_sync *s, uint32_t day,
                     struct recon *r, bool *partial, struct slotc_req *req)
{
    uint64_t after = 0, stop_ms = ((uint64_t)day + 2) * 86400000ull;
    *partial = false;
    bool first_page = true;
    for (int page = 0; page < FEED_PAGES_MAX; page++) {
        reqInit(x, req);
        int rc = slotc_sync_read_events(s, req, after, SLOTC_LIST_MAX);
        if (rc == SLOT_CURSOR_EXPIRED) {
            /* The oldest events go as the window moves: start again at
             * the oldest held now. Only the first read may see this
             * honestly; a later one means events were dropped under us. */
            if (!first_page) {
                *partial = true;
            }
            after = req->out.first - 1;
            continue;
        }
        if (rc != SLOT_OK) {
            return rc;
        }
        if (first_page && req->out.n_events > 0) {
            const struct slotc_event *o = &req->out.events[0];
            *partial = *partial || recon_feed_incomplete(o, day);
        }
        first_page = false;
        for (uint32_t i = 0; i < req->out.n_events; i++) {
            const struct slotc_event *e = &req->out.events[i];
            if (e->time_ms >= stop_ms) {
                return SLOT_OK;
            }
            rc = recon_feed(r, e);
            if (rc != SLOT_OK) {
                return rc;
            }
        }
        if (req->out.n_events < SLOTC_LIST_MAX) {
            return SLOT_OK;
        }
        after = req->out.events[req->out.n_events - 1].seq;
    }
    return SLOT_OK;
}

static int cmdReconcile(const struct ctx *x, const struct cli *cl)
{
    const char *ds = optVal(cl, "day"), *fmt = optVal(cl, "format");
    const char *hospital = optVal(cl, "hospital"),
               *channel = optVal(cl, "channel"), *dir = optVal(cl, "archive");
    int64_t day = ds != NULL ? slotc_day_parse(ds) : -1;
    if (cl->n_pos != 1 || day <= 0) {
        return usageError("reconcile", "reconcile --day YYYY-MM-DD [options]");
    }
    int format = g_json ? RECON_JSON : RECON_CSV;
    if (fmt != NULL) {
        if (strcmp(fmt, "csv") != 0 && strcmp(fmt, "json") != 0) {
            return usageError("reconcile", "--format is csv or json");
        }
        format = strcmp(fmt, "json") == 0 ? RECON_JSON : RECON_CSV;
    }
    struct recon r;
    int rc = recon_init(&r, (uint32_t)day, hospital, channel, format);
    if (rc != SLOT_OK) {
        recon_free(&r);
        return usageError("reconcile", "bad --hospital or --channel");
    }
    struct slotc_sync *s = openSync(x, &rc);
    if (s == NULL) {
        recon_free(&r);
        return emitError(rc, "bad --cluster", NULL);
    }
    struct slotc_req req;
    struct slotc_recon_row *rows = NULL;
    struct slotc_stats_row *stats = NULL;
    uint32_t n_rows = 0, n_stats = 0, kept = 0;
    bool partial = false;
    struct archive_scan_report rep;
    memset(&rep, 0, sizeof rep);
    /* The counters first: the lines read after them can only be ahead
     * (a line the counters miss shows as a difference; never the other
     * way round, for a day that is over). */
    rc = readRecon(x, s, (uint32_t)day, hospital, channel, &rows, &n_rows,
                   &kept, &req);
    if (rc == SLOT_OK) {
        rc = readStats(x, s, hospital, (uint32_t)day, (uint32_t)day, &stats,
                       &n_stats, &req);
    }
    if (rc == SLOT_OK && dir != NULL) {
        /* A local day lies within UTC days D-1..D+1 (offsets -12..+14 h). */
        struct feedState f = {&r, SLOT_OK};
        int src =
            archive_scan_days(dir, (uint32_t)day - 1, (uint32_t)day + 1, NULL,
                              NULL, reconFromArchive, &f, reconWarn, &rep);
        if (src == SLOT_IO) {
            free(rows);
            free(stats);
            recon_free(&r);
            slotc_sync_close(s);
            return usageError("reconcile", "cannot read the archive in %s",
                              dir);
        }
        rc = f.rc;
    } else if (rc == SLOT_OK) {
        rc = feedLines(x, s, (uint32_t)day, &r, &partial, &req);
    }
    int ex = EXIT_OK_;
    if (rc == SLOT_OK) {
        rc = recon_report(&r, rows, n_rows, stats, n_stats, kept);
    }
    if (rc != SLOT_OK && r.err[0] != '\0') {
        ex = emitError(rc, r.err, NULL);
    } else if (rc != SLOT_OK) {
        ex = reqError(&req, rc);
    } else {
        size_t len;
        const char *t = recon_text(&r, &len);
        fwrite(t, 1, len, stdout);
        fflush(stdout);
        if (kept > 0 && (uint32_t)day < kept) {
            char k[11];
            slotc_day_format(kept, k);
            fprintf(stderr,
                    "slotctl reconcile: the ledger keeps counters from %s on: "
                    "it has forgotten this day's\n",
                    k);
        }
        if (rep.bad_checksum + rep.bad_files > 0 || rep.gaps > 0) {
            char msg[256];
            snprintf(msg, sizeof msg,
                     "the archive in %s is damaged: %u file(s) failed their "
                     "checksum, %u could not be read whole, %llu seq gap(s)",
                     dir, rep.bad_checksum, rep.bad_files,
                     (unsigned long long)rep.gaps);
            ex = emitError(SLOT_CORRUPT, msg, NULL);
        } else if (partial) {
            fprintf(stderr,
                    "slotctl reconcile: the lines are incomplete: the event "
                    "feed no longer holds the start of %s (use --archive)\n",
                    ds);
            ex = EXIT_PARTIAL;
        } else if (!r.agree) {
            fprintf(stderr,
                    "slotctl reconcile: %u row(s) differ from the ledger's "
                    "counters\n",
                    r.rows_differing);
            ex = EXIT_DIFFER;
        }
    }
    free(rows);
    free(stats);
    recon_free(&r);
    slotc_sync_close(s);
    return ex;
}

/* booked_now / released with 4 decimals (0 when nothing was released). */
static void rateOf(const struct slotc_stats_row *x, char out[32])
{
    uint64_t per_10k = x->released > 0 && x->booked_now <= x->released
                           ? x->booked_now * 10000u / x->released
                           : 0;
    snprintf(out, 32, "%u.%04u", (unsigned)(per_10k / 10000u),
             (unsigned)(per_10k % 10000u));
}

static int cmdStats(const struct ctx *x, const struct cli *cl)
{
    const char *fs = optVal(cl, "from"), *ts = optVal(cl, "to");
    const char *fmt = optVal(cl, "format"), *hospital = optVal(cl, "hospital");
    int64_t from = fs != NULL ? slotc_day_parse(fs) : -1;
    int64_t to = ts != NULL ? slotc_day_parse(ts) : -1;
    if (cl->n_pos != 1 || from <= 0 || to <= 0) {
        return usageError("stats", "stats --from YYYY-MM-DD --to YYYY-MM-DD");
    }
    bool json = g_json;
    if (fmt != NULL) {
        if (strcmp(fmt, "table") != 0 && strcmp(fmt, "json") != 0) {
            return usageError("stats", "--format is table or json");
        }
        json = strcmp(fmt, "json") == 0;
    }
    int rc;
    struct slotc_sync *s = openSync(x, &rc);
    if (s == NULL) {
        return emitError(rc, "bad --cluster", NULL);
    }
    struct slotc_req req;
    struct slotc_stats_row *st = NULL;
    uint32_t n = 0;
    rc = readStats(x, s, hospital, (uint32_t)from, (uint32_t)to, &st, &n, &req);
    int ex = EXIT_OK_;
    if (rc != SLOT_OK) {
        ex = reqError(&req, rc);
    } else if (json) {
        json_t *arr = json_array();
        for (uint32_t i = 0; i < n; i++) {
            const struct slotc_stats_row *r = &st[i];
            char d[11], rate[32];
            slotc_day_format(r->visit_day, d);
            rateOf(r, rate);
            json_t *o = json_object();
            json_object_set_new(o, "visit_day", json_string(d));
            json_object_set_new(o, "hospital", json_string(r->hospital));
            json_object_set_new(o, "department", json_string(r->department));
            json_object_set_new(o, "pools", jsonU64(r->pools));
            json_object_set_new(o, "released", jsonU64(r->released));
            json_object_set_new(o, "capacity", jsonU64(r->capacity));
            json_object_set_new(o, "booked_now", jsonU64(r->booked_now));
            json_object_set_new(o, "booking_rate",
                                json_real(strtod(rate, NULL)));
            json_object_set_new(o, "booked_total", jsonU64(r->booked_total));
            json_object_set_new(o, "cancelled_total",
                                jsonU64(r->cancelled_total));
            json_object_set_new(o, "refunded_total",
                                jsonU64(r->refunded_total));
            json_object_set_new(o, "moved_total", jsonU64(r->moved_total));
            json_object_set_new(o, "no_show_total", jsonU64(r->no_show_total));
            json_object_set_new(o, "checked_in_total",
                                jsonU64(r->checked_in_total));
            json_array_append_new(arr, o);
        }
        json_t *o = json_object();
        json_object_set_new(o, "rows", arr);
        json_object_set_new(o, "total", jsonU64(n));
        readLabel(o, &req);
        /* The rate's 4 decimals, not a double's 17 digits. */
        char *t = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
        puts(t != NULL ? t : "{}");
        free(t);
        json_decref(o);
    } else {
        printf("%-10s %-20s %-20s %5s %8s %8s %8s %7s %8s %8s %8s %8s %8s "
               "%8s\n",
               "visit_day", "hospital", "department", "pools", "released",
               "capacity", "booked", "rate", "booked_t", "cancel_t", "refund_t",
               "moved_t", "noshow_t", "checkin_t");
        for (uint32_t i = 0; i < n; i++) {
            const struct slotc_stats_row *r = &st[i];
            char d[11], rate[32];
            slotc_day_format(r->visit_day, d);
            rateOf(r, rate);
            printf("%-10s %-20s %-20s %5u %8llu %8llu %8llu %7s %8llu %8llu "
                   "%8llu %8llu %8llu %8llu\n",
                   d, r->hospital, r->department, r->pools,
                   (unsigned long long)r->released,
                   (unsigned long long)r->capacity,
                   (unsigned long long)r->booked_now, rate,
                   (unsigned long long)r->booked_total,
                   (unsigned long long)r->cancelled_total,
                   (unsigned long long)r->refunded_total,
                   (unsigned long long)r->moved_total,
                   (unsigned long long)r->no_show_total,
                   (unsigned long long)r->checked_in_total);
        }
    }
    free(st);
    slotc_sync_close(s);
    return ex;
}

/* ---- hospitals' rules and schedules ------------------------------------- */

/* Reads and parses a FILE argument; NULL after reporting (*ex). */
static json_t *loadFile(const char *cmd, const char *path, int *ex)
{
    struct sctl_err e;
    json_t *j = sctl_json_load(path, &e);
    if (j == NULL) {
        *ex = e.code < 0 ? usageError(cmd, "%s", e.message)
                         : emitError(e.code, e.message, NULL);
    }
    return j;
}

/* A field's error in FILE: exit 3, {"error": {..., "field": PATH}}. */
static int fieldError(const char *path, const struct sctl_err *e)
{
    char msg[600];
    snprintf(msg, sizeof msg, "%s: %s",
             strcmp(path, "-") == 0 ? "standard input" : path, e->message);
    return emitError(e->code, msg, json_pack("{s:s}", "field", e->field));
}

static json_t *rulesInfoJson(const struct slotc_rules_info *ri)
{
    json_t *o = json_object();
    json_object_set_new(o, "version", jsonU64(ri->version));
    json_object_set_new(o, "department", json_string(ri->department));
    json_object_set_new(o, "changed_at_ms", jsonU64(ri->changed_at_ms));
    json_object_set_new(o, "operator", json_string(ri->operator_name));
    json_object_set_new(o, "reason", json_string(ri->reason));
    json_object_set_new(o, "rules", sctl_rules_json(&ri->rules));
    return o;
}

static int cmdRules(const struct ctx *x, const struct cli *cl)
{
    if (cl->n_pos < 2) {
        return usageError("rules", "rules needs get, set or log");
    }
    const char *sub = cl->pos[1];
    bool get = strcmp(sub, "get") == 0, set = strcmp(sub, "set") == 0,
         log = strcmp(sub, "log") == 0;
    if (!get && !set && !log) {
        return usageError("rules", "unknown rules subcommand '%s'", sub);
    }
    if (cl->n_pos != (set ? 4 : 3)) {
        return usageError("rules",
                          set ? "rules set needs HOSPITAL and FILE"
                              : "rules %s needs HOSPITAL",
                          sub);
    }
    int ex = subOpts(cl, "rules", sub,
                     get   ? " department "
                     : set ? " department operator reason idem-key "
                           : " after limit ");
    if (ex != EXIT_OK_) {
        return ex;
    }
    const char *hospital = cl->pos[2];
    const char *dep = optVal(cl, "department");
    struct slotc_rules rules;
    uint64_t after = 0, limit = SLOTC_RULES_LOG_MAX;
    if (set) {
        if (optVal(cl, "operator") == NULL || optVal(cl, "reason") == NULL) {
            return usageError("rules", "rules set needs --operator and "
                                       "--reason (they go into the log)");
        }
        json_t *j = loadFile("rules", cl->pos[3], &ex);
        if (j == NULL) {
            return ex;
        }
        struct sctl_err e;
        int rc = sctl_rules_parse(j, &rules, &e);
        json_decref(j);
        if (rc != SLOT_OK) {
            return fieldError(cl->pos[3], &e);
        }
    }
    ex = log ? pageOpts(cl, "rules", "a version number", &after, &limit)
             : EXIT_OK_;
    if (ex != EXIT_OK_) {
        return ex;
    }
    int rc;
    struct slotc_sync *s = openSync(x, &rc);
    if (s == NULL) {
        return emitError(rc, "bad --cluster", NULL);
    }
    struct slotc_req req;
    reqInit(x, &req);
    json_t *out = NULL;
    if (get) {
        rc = slotc_sync_read_rules(s, &req, hospital, dep);
        if (rc == SLOT_OK) {
            /* The department asked about ("" the hospital); one without
             * rules of its own shows the hospital's (inherited). */
            out = json_pack("{s:s, s:s, s:b}", "hospital", hospital,
                            "department", dep != NULL ? dep : "", "inherited",
                            req.out.rules[0].inherited);
            json_t *ri = rulesInfoJson(&req.out.rules[0]);
            json_object_del(ri, "department");
            json_object_update(out, ri);
            json_decref(ri);
            out = readLabel(out, &req);
        }
    } else if (set) {
        req.idem_key = optVal(cl, "idem-key");
        req.idem_channel = req.idem_key != NULL ? ADMIN_IDEM_CHANNEL : NULL;
        rc =
            slotc_sync_rules_set(s, &req, hospital, dep, optVal(cl, "operator"),
                                 optVal(cl, "reason"), &rules);
        if (rc == SLOT_OK) {
            out = json_pack("{s:b, s:s, s:s, s:I, s:o}", "ok", 1, "hospital",
                            hospital, "department", dep != NULL ? dep : "",
                            "version", (json_int_t)req.out.version, "rules",
                            sctl_rules_json(&rules));
            out = cmdLabel(out, &req);
        }
    } else {
        rc = slotc_sync_read_rules_log(s, &req, hospital, after,
                                       (uint32_t)limit);
        if (rc == SLOT_OK) {
            json_t *arr = json_array();
            for (uint32_t i = 0; i < req.out.n_rules; i++) {
                json_array_append_new(arr, rulesInfoJson(&req.out.rules[i]));
            }
            out = readLabel(
                json_pack("{s:s, s:o}", "hospital", hospital, "changes", arr),
                &req);
        }
    }
    ex = out != NULL ? emit(out) : reqError(&req, rc);
    slotc_sync_close(s);
    return ex;
}

static json_t *templateHead(const struct sctl_template *t, size_t i)
{
    return json_pack("{s:I, s:s, s:s, s:I}", "template", (json_int_t)i,
                     "id_prefix", t->id_prefix, "hospital", t->hospital,
                     "pools", (json_int_t)sctl_template_pools(&t->t));
}

static json_t *conflictsJson(const struct slotc_req *req)
{
    json_t *arr = json_array();
    for (uint32_t i = 0; i < req->out.n_conflicts; i++) {
        json_array_append_new(arr, json_string(req->out.conflicts[i]));
    }
    return arr;
}

/* The error of template i; extra (stolen, may be NULL) gets its names. */
static int templateError(const struct sctl_template *t, size_t i, int rc,
                         json_t *extra)
{
    char msg[400];
    snprintf(msg, sizeof msg, "template [%zu] (%s): %s", i, t->id_prefix,
             slotc_err_message(rc));
    if (extra == NULL) {
        extra = json_object();
    }
    json_object_set_new(extra, "template", json_integer((json_int_t)i));
    json_object_set_new(extra, "id_prefix", json_string(t->id_prefix));
    return emitError(rc, msg, extra);
}

/* schedule import: check every template, then import each. */
static int scheduleImport(const struct ctx *x, const struct cli *cl,
                          struct slotc_sync *s, const struct sctl_template *t,
                          size_t n)
{
    const char *key = optVal(cl, "idem-key");
    bool dry = optVal(cl, "dry-run") != NULL;
    struct slotc_req req;
    uint64_t created = 0, unchanged = 0, n_conf = 0;
    json_t *plan = json_array(), *conf = json_array();
    /* Nothing is imported unless every template is valid, names a
     * hospital with rules and conflicts with no pool: the checks are
     * linearizable reads (a pool created between a check and its import
     * still makes that import SCHEDULE_CONFLICT, changing nothing). */
    for (size_t i = 0; i < n; i++) {
        reqInit(x, &req);
        req.flags = 0;
        int rc = slotc_sync_schedule_check(s, &req, &t[i].t);
        if (rc != SLOT_OK) {
            json_decref(plan);
            json_decref(conf);
            return templateError(&t[i], i, rc, NULL);
        }
        created += req.out.created;
        unchanged += req.out.unchanged;
        n_conf += req.out.n_conflicts;
        json_t *e = templateHead(&t[i], i);
        json_object_set_new(e, "created", jsonU64(req.out.created));
        json_object_set_new(e, "unchanged", jsonU64(req.out.unchanged));
        json_array_append_new(plan, e);
        if (req.out.n_conflicts > 0) {
            json_t *c = templateHead(&t[i], i);
            json_object_set_new(c, "conflicts", conflictsJson(&req));
            json_array_append_new(conf, c);
        }
    }
    if (n_conf > 0) {
        json_decref(plan);
        char msg[200];
        snprintf(msg, sizeof msg,
                 "%llu pools exist with another definition; nothing "
                 "imported",
                 (unsigned long long)n_conf);
        return emitError(SLOT_SCHEDULE_CONFLICT, msg,
                         json_pack("{s:o}", "conflicts", conf));
    }
    json_decref(conf);
    if (dry) {
        return emit(json_pack("{s:b, s:b, s:o, s:I, s:I}", "ok", 1, "dry_run",
                              1, "templates", plan, "created",
                              (json_int_t)created, "unchanged",
                              (json_int_t)unchanged));
    }
    json_decref(plan);
    json_t *done = json_array();
    created = unchanged = 0;
    for (size_t i = 0; i < n; i++) {
        char k[SLOTC_IDEM_KEY_MAX + 16];
        if (key != NULL) {
            snprintf(k, sizeof k, n == 1 ? "%s" : "%s.%zu", key, i + 1);
        }
        reqInit(x, &req);
        req.flags = 0;
        req.idem_key = key != NULL ? k : NULL;
        req.idem_channel = key != NULL ? ADMIN_IDEM_CHANNEL : NULL;
        int rc = slotc_sync_schedule_import(s, &req, &t[i].t);
        if (rc != SLOT_OK) {
            json_t *extra = json_pack("{s:o}", "imported", done);
            if (rc == SLOT_SCHEDULE_CONFLICT) {
                struct slotc_req chk;
                reqInit(x, &chk);
                chk.flags = 0;
                if (slotc_sync_schedule_check(s, &chk, &t[i].t) == SLOT_OK) {
                    json_object_set_new(extra, "conflicts",
                                        conflictsJson(&chk));
                }
            }
            return templateError(&t[i], i, rc, extra);
        }
        created += req.out.created;
        unchanged += req.out.unchanged;
        json_t *e = templateHead(&t[i], i);
        json_object_set_new(e, "created", jsonU64(req.out.created));
        json_object_set_new(e, "unchanged", jsonU64(req.out.unchanged));
        json_array_append_new(done, cmdLabel(e, &req));
    }
    return emit(json_pack("{s:b, s:b, s:o, s:I, s:I}", "ok", 1, "dry_run", 0,
                          "templates", done, "created", (json_int_t)created,
                          "unchanged", (json_int_t)unchanged));
}

/* schedule check: what import would do, as a report (exit 0). */
static int scheduleCheck(const struct ctx *x, struct slotc_sync *s,
                         const struct sctl_template *t, size_t n)
{
    struct slotc_req req;
    uint64_t created = 0, unchanged = 0, n_conf = 0;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        reqInit(x, &req);
        int rc = slotc_sync_schedule_check(s, &req, &t[i].t);
        if (rc != SLOT_OK) {
            json_decref(arr);
            return templateError(&t[i], i, rc, NULL);
        }
        created += req.out.created;
        unchanged += req.out.unchanged;
        n_conf += req.out.n_conflicts;
        json_t *e = templateHead(&t[i], i);
        json_object_set_new(e, "created", jsonU64(req.out.created));
        json_object_set_new(e, "unchanged", jsonU64(req.out.unchanged));
        json_object_set_new(e, "conflicts", conflictsJson(&req));
        json_array_append_new(arr, e);
    }
    json_t *o =
        json_pack("{s:o, s:I, s:I, s:I, s:b}", "templates", arr, "created",
                  (json_int_t)created, "unchanged", (json_int_t)unchanged,
                  "conflicts", (json_int_t)n_conf, "importable", n_conf == 0);
    return emit(readLabel(o, &req));
}

static int cmdSchedule(const struct ctx *x, const struct cli *cl)
{
    if (cl->n_pos < 2) {
        return usageError("schedule", "schedule needs import or check");
    }
    const char *sub = cl->pos[1];
    bool import = strcmp(sub, "import") == 0, check = strcmp(sub, "check") == 0;
    if (!import && !check) {
        return usageError("schedule", "unknown schedule subcommand '%s'", sub);
    }
    if (cl->n_pos != 3) {
        return usageError("schedule",
                          "schedule %s needs FILE (- for "
                          "standard input)",
                          sub);
    }
    int ex = subOpts(cl, "schedule", sub, import ? " dry-run idem-key " : " ");
    if (ex != EXIT_OK_) {
        return ex;
    }
    json_t *j = loadFile("schedule", cl->pos[2], &ex);
    if (j == NULL) {
        return ex;
    }
    struct sctl_template *t;
    size_t n;
    struct sctl_err e;
    int rc = sctl_templates_parse(j, &t, &n, &e);
    json_decref(j);
    if (rc != SLOT_OK) {
        return fieldError(cl->pos[2], &e);
    }
    const char *key = optVal(cl, "idem-key");
    /* K.N for an array: the longest suffix must fit the key's limit. */
    if (key != NULL && n > 1 &&
        strlen(key) + 1 + (size_t)snprintf(NULL, 0, "%zu", n) >
            SLOTC_IDEM_KEY_MAX) {
        free(t);
        return usageError("schedule",
                          "--idem-key: with %zu templates, K.%zu must fit "
                          "%d bytes",
                          n, n, SLOTC_IDEM_KEY_MAX);
    }
    struct slotc_sync *s = openSync(x, &rc);
    if (s == NULL) {
        free(t);
        return emitError(rc, "bad --cluster", NULL);
    }
    ex = import ? scheduleImport(x, cl, s, t, n) : scheduleCheck(x, s, t, n);
    slotc_sync_close(s);
    free(t);
    return ex;
}

/* ---- main ---------------------------------------------------------------- */

static struct opt g_opts[] = {
    {"cluster", NULL, false, {NULL}, 0},
    {"json", NULL, true, {NULL}, 0},
    {"timeout", NULL, false, {NULL}, 0},
    {"stale", NULL, true, {NULL}, 0},
    {"role", NULL, false, {NULL}, 0},
    {"capacity", NULL, false, {NULL}, 0},
    {"kind", NULL, false, {NULL}, 0},
    {"fee-cents", NULL, false, {NULL}, 0},
    {"seg-start-ms", NULL, false, {NULL}, 0},
    {"seg-end-ms", NULL, false, {NULL}, 0},
    {"release-at-ms", NULL, false, {NULL}, 0},
    {"share", NULL, false, {NULL}, 0},
    {"after", NULL, false, {NULL}, 0},
    {"limit", NULL, false, {NULL}, 0},
    {"channel", NULL, false, {NULL}, 0},
    {"ttl-ms", NULL, false, {NULL}, 0},
    {"hold-ttl-min-ms", NULL, false, {NULL}, 0},
    {"hold-ttl-max-ms", NULL, false, {NULL}, 0},
    {"session-max", NULL, false, {NULL}, 0},
    {"session-idle-ms", NULL, false, {NULL}, 0},
    {"retain-ms", NULL, false, {NULL}, 0},
    {"retain-max", NULL, false, {NULL}, 0},
    {"hospital", NULL, false, {NULL}, 0},
    {"campus", NULL, false, {NULL}, 0},
    {"department", NULL, false, {NULL}, 0},
    {"doctor", NULL, false, {NULL}, 0},
    {"visit-date", NULL, false, {NULL}, 0},
    {"pay-mode", NULL, false, {NULL}, 0},
    {"visit-slot-ms", NULL, false, {NULL}, 0},
    {"eligible", NULL, false, {NULL}, 0},
    {"remainder-allow", NULL, false, {NULL}, 0},
    {"from", NULL, false, {NULL}, 0},
    {"to", NULL, false, {NULL}, 0},
    {"all", NULL, true, {NULL}, 0},
    {"operator", NULL, false, {NULL}, 0},
    {"reason", NULL, false, {NULL}, 0},
    {"idem-key", NULL, false, {NULL}, 0},
    {"dry-run", NULL, true, {NULL}, 0},
    {"hash", NULL, true, {NULL}, 0},
    {"account", NULL, false, {NULL}, 0},
    {"as", NULL, false, {NULL}, 0},
    {"account-patients-max", NULL, false, {NULL}, 0},
    {"account-changes-max", NULL, false, {NULL}, 0},
    {"account-change-window-days", NULL, false, {NULL}, 0},
    {"account-change-patients-max", NULL, false, {NULL}, 0},
    {"patient-active-max", NULL, false, {NULL}, 0},
    {"payment-ref", NULL, false, {NULL}, 0},
    {"follow", NULL, true, {NULL}, 0},
    {"interval-ms", NULL, false, {NULL}, 0},
    {"dir", NULL, false, {NULL}, 0},
    {"pay-method", NULL, false, {NULL}, 0},
    {"day", NULL, false, {NULL}, 0},
    {"format", NULL, false, {NULL}, 0},
    {"archive", NULL, false, {NULL}, 0},
};

/* Which options each command accepts (besides the global ones). */
static bool optAllowed(const char *cmd, const char *opt)
{
    static const struct {
        const char *cmd;
        const char *opts;
    } allowed[] = {
        {"member", " role "},
        {"status", " hash "},
        {"show", " hash "},
        {"pool",
         " capacity kind fee-cents seg-start-ms seg-end-ms release-at-ms share "
         "after limit hospital campus department doctor visit-date pay-mode "
         "visit-slot-ms eligible remainder-allow from to all "},
        {"rules", " department operator reason idem-key after limit "},
        {"schedule", " dry-run idem-key "},
        {"hold", " channel ttl-ms account "},
        {"confirm", " as account pay-method "},
        {"release", " as account "},
        {"cancel", " as account "},
        {"account", " idem-key "},
        {"violation", " kind operator reason idem-key "},
        {"unblock", " operator reason idem-key "},
        {"exception", " operator reason idem-key "},
        {"staff-log", " after limit "},
        {"waitlist", " channel account as idem-key "},
        {"stop", " operator reason idem-key "},
        {"move", " as account "},
        {"checkin", " payment-ref pay-method "},
        {"pool-claims", " after limit "},
        {"events", " after limit follow interval-ms "},
        {"audit", " dir "},
        {"reconcile", " day hospital channel format archive "},
        {"stats", " from to hospital format "},
        {"config",
         " hold-ttl-min-ms hold-ttl-max-ms session-max session-idle-ms "
         "retain-ms retain-max account-patients-max account-changes-max "
         "account-change-window-days account-change-patients-max "
         "patient-active-max "},
    };
    char key[64];
    snprintf(key, sizeof key, " %s ", opt);
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        if (strcmp(allowed[i].cmd, cmd) == 0 &&
            strstr(allowed[i].opts, key) != NULL) {
            return true;
        }
    }
    return false;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    /* --json first, so that even a usage error is reported as JSON. */
    for (int i = 1; i < argc; i++) {
        g_json = g_json || strcmp(argv[i], "--json") == 0;
    }
    struct cli cl;
    int n_opts = (int)(sizeof g_opts / sizeof g_opts[0]);
    int ex = parseArgs(argc - 1, argv + 1, g_opts, n_opts, &cl, NULL);
    if (ex != EXIT_OK_) {
        return ex;
    }
    const char *cmd = cl.n_pos > 0 ? cl.pos[0] : NULL;
    if (cmd != NULL && strcmp(cmd, "pools") == 0) {
        cmd = "pool"; /* `slotctl pools query ...` reads naturally too */
    }
    if (cmd == NULL) {
        if (cl.help) {
            fputs(usage_main, stdout);
            return EXIT_OK_;
        }
        fputs(usage_main, stderr);
        return EXIT_USAGE;
    }
    const struct cmdhelp *h = helps;
    while (h->name != NULL && strcmp(h->name, cmd) != 0) {
        h++;
    }
    if (h->name == NULL) {
        return usageError(NULL, "unknown command '%s' (see slotctl --help)",
                          cmd);
    }
    if (cl.help) {
        fputs(h->text, stdout);
        return EXIT_OK_;
    }
    for (int k = 4; k < n_opts; k++) {
        if (g_opts[k].value != NULL && !optAllowed(cmd, g_opts[k].name)) {
            return usageError(cmd, "%s does not take --%s", cmd,
                              g_opts[k].name);
        }
    }
    struct ctx x;
    memset(&x, 0, sizeof x);
    slotc_options_init(&x.o);
    x.o.cluster = optVal(&cl, "cluster") != NULL ? optVal(&cl, "cluster")
                                                 : DEFAULT_CLUSTER;
    char cerr[400];
    int crc = slotc_cluster_check(x.o.cluster, "--cluster", cerr, sizeof cerr);
    if (crc != SLOT_OK) {
        return emitError(crc, cerr, NULL);
    }
    x.o.sessions_max = 1;
    x.o.queue_max = 64;
    x.stale = optVal(&cl, "stale") != NULL;
    uint64_t t = 5000;
    if (optVal(&cl, "timeout") != NULL &&
        (!parseU64(optVal(&cl, "timeout"), 3600000, &t) || t == 0)) {
        return usageError(cmd, "--timeout is 1..3600000 ms");
    }
    x.timeout_ms = (uint32_t)t;
    x.o.timeout_ms = (uint32_t)t;
    if (strcmp(cmd, "status") == 0) {
        return cmdStatus(&x, &cl);
    }
    if (strcmp(cmd, "member") == 0) {
        return cmdMember(&x, &cl);
    }
    if (strcmp(cmd, "pool") == 0) {
        return cmdPool(&x, &cl);
    }
    if (strcmp(cmd, "hold") == 0) {
        return cmdHold(&x, &cl);
    }
    if (strcmp(cmd, "show") == 0) {
        return cmdShow(&x, &cl);
    }
    if (strcmp(cmd, "config") == 0) {
        return cmdConfig(&x, &cl);
    }
    if (strcmp(cmd, "rules") == 0) {
        return cmdRules(&x, &cl);
    }
    if (strcmp(cmd, "schedule") == 0) {
        return cmdSchedule(&x, &cl);
    }
    if (strcmp(cmd, "account") == 0) {
        return cmdAccount(&x, &cl);
    }
    if (strcmp(cmd, "patient") == 0) {
        return cmdPatient(&x, &cl);
    }
    if (strcmp(cmd, "violation") == 0 || strcmp(cmd, "unblock") == 0 ||
        strcmp(cmd, "exception") == 0 || strcmp(cmd, "stop") == 0) {
        return cmdStaff(&x, &cl, cmd);
    }
    if (strcmp(cmd, "staff-log") == 0 || strcmp(cmd, "pool-claims") == 0) {
        return cmdPage(&x, &cl, cmd);
    }
    if (strcmp(cmd, "waitlist") == 0) {
        return cmdWaitlist(&x, &cl);
    }
    if (strcmp(cmd, "events") == 0) {
        return cmdEvents(&x, &cl);
    }
    if (strcmp(cmd, "audit") == 0) {
        return cmdAudit(&cl);
    }
    if (strcmp(cmd, "reconcile") == 0) {
        return cmdReconcile(&x, &cl);
    }
    if (strcmp(cmd, "stats") == 0) {
        return cmdStats(&x, &cl);
    }
    return cmdId(&x, &cl, cmd);
}
