/* ledgerInt: the ledger's private structures and the internal functions
 * its files share (ledger.c lists the files and their jobs). Nothing
 * outside node/ledger/ may include this header, except the ledger's own
 * unit tests.
 *
 * Memory layout, chosen for <= 256 bytes per claimed slot (see bench/;
 * bench_ledger part (b), 10^6 slots claimed, 247 B/slot: claims 73, the
 * event window 59 + 8 of references, three indexes 17 each, patients 18
 * + 11 of keys, payments 17, the expiry heap 4, pools 4):
 *   - claims live in one slab array (72-byte records, free list through
 *     `link`); hold and booking share the record; what only the visit day
 *     adds (check-in, MOVE links) lives in records of its own;
 *   - payments (references up to 64 bytes) live in slabs by size class,
 *     only for confirmed claims;
 *   - patient keys live in an append-only byte arena;
 *   - indexes are open-addressing hash tables of (u32 tag, u32 value) with
 *     linear probing and backward-shift deletion;
 *   - the event feed keeps 56 bytes an event, and an entry's index and
 *     time once per run of its events;
 *   - large arrays grow by an eighth (LEDGER_GROW).
 * Free slots (not held, not booked) cost nothing: a bucket is counters.
 */
#ifndef SLOT_LEDGER_INT_H
#define SLOT_LEDGER_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "ledger.h"

#define NONE UINT32_MAX

/* u64 key -> u32 value. A table keeps 32 bits of each key's hash (its
 * tag), not the key: every lookup confirms a tag's values against the
 * records they name with a callback (string-keyed tables compare the
 * string, id-keyed ones the record's id), which the lookups that found an
 * entry read next anyway. That halves a position (12 bytes with the key,
 * 8 without): at 10^6 claimed slots the claim, (pool, patient) and
 * patient tables are 2^21 positions each, 16.8 B/slot each instead of
 * 25.2. Several values may share a key or a tag.
 * Linear probing, load <= 3/4.
 *
 * Growing is incremental from 65,536 positions up (below, one step of at
 * most a millisecond is cheaper in all: htab.c): doubling a table of 10^6
 * entries in one step took ~40 ms, and every replica takes that step in
 * the same entry, so no quorum escapes the stall. A put that finds the
 * table full allocates the
 * doubled arrays and keeps the previous ones as `old`; from then on every
 * put moves a few old entries over (HTAB_MIGRATE_STEP), lookups and
 * deletes look in both, and the old arrays are freed when empty. Which
 * array holds an entry never changes what a lookup returns, so replicas
 * agree whatever their allocator did. */
/* One position of a table: the tag and the value side by side, so a probe
 * reads one cache line. The home position is the tag's top bits, so
 * growing moves entries without their keys. The value is stored plus
 * one, so that zeroed memory is an empty table: new arrays come from
 * calloc, and their pages are mapped as entries land in them, not all in
 * the one entry that grows the table. */
struct hslot {
    uint32_t tag;
    uint32_t val1; /* value + 1; 0 = empty */
};
_Static_assert(sizeof(struct hslot) == 8, "a table position is 8 bytes");

struct htab {
    struct hslot *slots;
    uint32_t cap;   /* 0 or a power of two */
    uint32_t count; /* entries in both arrays */
    /* While growing (old_cap != 0): entries not moved yet. */
    struct hslot *old_slots;
    uint32_t old_cap, old_count;
    uint32_t old_pos; /* where moving resumes (cycles until old_count 0) */
    /* Before growing (next_cap != 0): the doubled arrays, empty, mapped
     * one chunk a put (htab.c, "Growing"); next_mapped chunks so far. */
    struct hslot *next_slots;
    uint32_t next_cap, next_mapped;
};

/* A channel share, or the pool's shared remainder. */
struct bucket {
    uint8_t channel; /* channel (or group) index; unused for the remainder */
    uint32_t capacity;
    uint32_t free;
    uint32_t held;
    uint32_t booked;
    uint32_t cooling; /* freed by a cancel, back to free at their due time */
    /* The slots the pool's spec gave it: capacity until a flow-back moves
     * the unsold ones away (re-imports compare against the spec). */
    uint32_t spec;
};

/* A pool's place in a hospital's schedule (pool.place; free-standing pools
 * have none). Names are indexes into the names table (NONE: empty). */
/* A scheduled pool's counters over its life (ledger.h, "Money and
 * statistics"). */
struct pool_stats {
    uint32_t booked, cancelled, refunded, moved, no_show, checked_in;
};

struct place {
    uint32_t hospital; /* index into ledger.hospitals */
    uint32_t campus, department, doctor;
    uint32_t visit_day;
    uint32_t visit_slot_ms;
    uint8_t pay_mode;
    uint8_t n_eligible, n_rem_allow;
    uint8_t flowed; /* the shares' unsold slots have flowed back */
    uint8_t eligible[SLOT_POOL_NAMES_MAX];  /* channel / group indexes */
    uint8_t rem_allow[SLOT_POOL_NAMES_MAX]; /* channel / group indexes */
    uint64_t flow_due_ms;    /* UINT64_MAX: none (no rule, or flowed) */
    uint32_t flow_pos;       /* position in the flow-back heap, or NONE */
    struct pool_stats stats; /* money.c: the pool's life, for READ_STATS */
};

struct pool {
    char id[SLOT_POOL_ID_MAX];
    uint8_t id_len;
    uint8_t kind;
    uint8_t closed;
    uint8_t n_shares;
    uint8_t stopped; /* POOL_STOP: for good, closed or not */
    uint32_t capacity;
    uint32_t next_visit_no;
    uint64_t fee_cents;
    uint64_t seg_start_ms;
    uint64_t seg_end_ms;
    uint64_t release_at_ms;
    struct bucket shares[SLOT_POOL_SHARES_MAX];
    struct bucket rem;
    /* Visit numbers freed by cancellations, a min-heap: a booking takes the
     * lowest free number (so numbers keep meaning a time), else
     * next_visit_no. Every number below next_visit_no is either a BOOKED
     * claim's or in here. */
    uint32_t *freed;
    uint32_t n_freed, freed_cap;
    struct place *place; /* NULL: a free-standing pool */
    struct wentry *wait; /* the waitlist, oldest first */
    uint32_t n_wait, wait_cap;
};

/* A department's own rules (hospital.overrides). */
struct dept_rules {
    uint32_t department; /* names index */
    uint64_t version;
    uint64_t changed_at_ms;
    char operator_name[SLOT_OPERATOR_MAX + 1];
    char reason[SLOT_REASON_MAX + 1];
    struct slot_rules rules;
};

/* One remembered rule change (hospital.log). */
struct rules_change {
    uint64_t version;
    uint32_t department; /* NONE: the hospital's own rules */
    uint64_t changed_at_ms;
    char operator_name[SLOT_OPERATOR_MAX + 1];
    char reason[SLOT_REASON_MAX + 1];
    struct slot_rules rules;
};

/* The pools of one visit day of a hospital, in creation order: the pool
 * query walks days in order and sorts one day's matches at a time. */
struct hday {
    uint32_t day;
    uint32_t *pools;
    uint32_t n, cap;
};

/* A hospital: its rules (set by RULES_SET; a hospital exists once its
 * rules are set), department overrides, the change log, and its schedule
 * index (days in ascending order). */
struct hospital {
    char id[SLOT_NAME_MAX + 1];
    uint8_t id_len;
    uint64_t version; /* of the latest change, hospital or department */
    uint64_t rules_version;
    uint64_t changed_at_ms;
    char operator_name[SLOT_OPERATOR_MAX + 1];
    char reason[SLOT_REASON_MAX + 1];
    struct slot_rules rules;
    struct dept_rules *overrides;
    uint32_t n_overrides, overrides_cap;
    struct rules_change *log; /* a ring of LEDGER_RULES_LOG_MAX */
    uint32_t log_len, log_head;
    struct hday *days;
    uint32_t n_days, days_cap;
    uint32_t n_pools;
};

struct patient {
    uint32_t key_off; /* into ledger.pkeys */
    uint8_t key_len;
    uint32_t ext;     /* index into ledger.pexts, or NONE: no record */
    uint32_t pa_head; /* the newest active claim, or NONE (patients.c) */
};

/* What the patient rules remember of a patient (ledger.h, "Patients ...").
 * Only patients with an account, a violation, a standing or a cancellation
 * have one; the lists keep the newest entries, oldest first. */
struct pviolation {
    uint64_t at_ms;
    uint32_t hospital;
    uint8_t kind; /* enum slot_violation_kind */
};
struct pstanding {
    uint64_t until_ms; /* blacklisted while > now */
    uint32_t hospital;
    uint8_t exception; /* an EXCEPTION waits for the next hold */
};
struct pext {
    uint32_t account; /* NONE: bound to none */
    uint8_t n_cancels, n_violations, n_standings;
    uint64_t cancels_ms[SLOT_CANCELS_KEPT];
    struct pviolation violations[SLOT_VIOLATIONS_KEPT];
    struct pstanding standings[SLOT_VIOLATIONS_KEPT];
};

_Static_assert(sizeof(struct pext) == LEDGER_PATIENT_EXT_BYTES,
               "ledger.h states a patient record's size");

/* An account (ACCOUNT_BIND): its key lives in the patient key arena. */
struct account {
    uint32_t key_off;
    uint8_t key_len;
    uint8_t n_patients, n_changes;
    uint32_t patients[SLOT_ACCOUNT_PATIENTS_MAX]; /* binding order */
    struct {
        uint64_t at_ms;
        uint32_t unbinds;
    } changes[SLOT_ACCOUNT_CHANGES_KEPT]; /* oldest first */
};

_Static_assert(sizeof(struct account) == LEDGER_ACCOUNT_BYTES,
               "ledger.h states an account's size");

/* A patient waiting for a pool's cancelled slots (pool.wait, FIFO). */
struct wentry {
    uint64_t joined_at_ms;
    uint32_t patient;
    uint32_t account; /* NONE: none named */
    uint8_t channel;
};

/* A slot freed by a cancelled booking, cooling down (ledger.h): it returns
 * to its bucket's free slots at due_ms. Kept in a min-heap by (due_ms,
 * claim_id). */
struct cool {
    uint64_t due_ms;
    uint64_t claim_id;
    uint32_t pool;
    uint8_t from_share, bucket;
};

/* One staff command (VIOLATION, UNBLOCK, EXCEPTION, POOL_STOP), for the
 * staff log. hospital, patient, pool: NONE where the command names none. */
struct staff {
    uint64_t seq;
    uint64_t at_ms;
    uint32_t hospital, patient, pool;
    uint8_t op, kind;
    char operator_name[SLOT_OPERATOR_MAX + 1];
    char reason[SLOT_REASON_MAX + 1];
};

struct claim {
    uint64_t id;
    uint64_t held_at_ms;
    uint64_t deadline_ms;
    uint64_t resolved_at_ms;
    /* Confirmed (BOOKED, CANCELLED, MOVED): booked at held_at_ms + this
     * (ledger__claim_booked_at). A CONFIRM comes before the hold's
     * deadline, whose ttl is a u32, and a MOVE books at once: it fits. */
    uint32_t booked_after_ms;
    uint32_t pool;
    uint32_t patient;
    uint32_t visit_no;
    /* HELD: position in the expiry heap. BOOKED: position in the no-show
     * heap, or NONE. RELEASED / EXPIRED / CANCELLED / MOVED: next claim in
     * the retained FIFO. Free slab entry: next free. */
    uint32_t link;
    uint32_t payref; /* payment record (claims.c: class, index), or NONE */
    uint32_t visit;  /* its visit-day record (struct cvisit), or NONE */
    /* HELD / BOOKED: the patient's other active claims (patients.c, the
     * patient's claim list; NONE ends it). */
    uint32_t pa_next, pa_prev;
    uint8_t state; /* enum slot_claim_state; 0 = free slab entry */
    uint8_t channel;
    uint8_t bucket; /* the share's channel or group index */
    /* The flags in one byte: 80 bytes a claim with a byte each, 72 so. */
    unsigned from_share : 1; /* 1: counted in a share (bucket names which) */
    unsigned attendance : 2; /* enum slot_attendance */
    unsigned refunded : 1;   /* CANCELLED as a stopped clinic's refund */
};
_Static_assert(sizeof(struct claim) == 72, "claim record is 72 bytes");
_Static_assert(SLOT_ATTEND_NO_SHOW < 4, "attendance fits two bits");

/* What the visit day adds to a claim (visit.c): check-in time (0: not
 * checked in), and the ids a MOVE links (moved_to: this MOVED claim's
 * successor; moved_from: the claim this booking was moved from; 0: none).
 * Kept apart from the claim (claim.visit) because most claims never have
 * them: holds, and bookings before their day. In the claim they took 24
 * of its 104 bytes (25 B/slot at 10^6 claimed slots); apart, a claim
 * without them costs its 4-byte index. A free record chains through
 * moved_to. */
struct cvisit {
    uint64_t checked_in_at_ms;
    uint64_t moved_to;
    uint64_t moved_from;
};

/* One event of the feed (feed.c) as restore gives it and a walk of the
 * window reads it; names are indexes (NONE: none). Its payment reference
 * (ref_len bytes, 0: none) is in the feed's byte ring at absolute position
 * ref_pos. */
struct event {
    /* No seq: the window's seqs are consecutive, so the event at position
     * i (oldest first) is seq ev_last - ev_len + 1 + i. */
    uint64_t index, time_ms, claim, a, b;
    uint32_t pool, patient, account, hospital;
    uint32_t fee_cents; /* <= SLOT_FEE_MAX_CENTS */
    uint32_t ref_pos;
    uint32_t local_day;
    uint8_t type, channel; /* channel: index, or UINT8_MAX for none */
    uint8_t ref_len;
    uint8_t method; /* pay method index, or PAY_NONE */
};
_Static_assert(SLOT_FEE_MAX_CENTS <= UINT32_MAX, "fee fits a u32");

/* An event as the window keeps it: without its Raft index and ledger time,
 * which every event of one entry shares (ledger time advances once per
 * batch). Those live in runs (struct evrun), one per stretch of
 * consecutive events with the same pair: 56 bytes an event instead of 72,
 * plus 24 a run. An entry of 64 commands makes one run for ~100 events;
 * at worst (a run per event) the window costs 80 bytes an event. */
struct evrec {
    uint64_t claim, a, b;
    uint32_t pool, patient, account, hospital;
    uint32_t fee_cents;
    uint32_t ref_pos;
    uint32_t local_day;
    uint8_t type, channel;
    uint8_t ref_len;
    uint8_t method;
};
_Static_assert(sizeof(struct evrec) == 56, "a kept event is 56 bytes");
struct evrun {
    uint64_t first_seq; /* its first event (may have left the window) */
    uint64_t index, time_ms;
};

/* A walk over the window's events, oldest first (feed.c). */
struct evwalk {
    uint32_t i;   /* position of the next event in the window */
    uint32_t run; /* position of its run in the runs' ring */
};
/* A booking waiting for its check-in to close (the no-show heap, by
 * (due_ms, claim id); the claim's link is its position). */
struct noshow {
    uint64_t due_ms;
    uint32_t ci;
};

/* A paid claim's payment as read (ledger__payref): reference, method and
 * the fee it paid. */
struct payref {
    const char *s; /* len bytes; valid until the next payment is recorded */
    uint8_t len;
    uint8_t method;     /* pay method index, or PAY_NONE */
    uint32_t fee_cents; /* the pool's fee when paid */
};

/* Payment records, in slabs by size class (claims.c): a record is the fee
 * (u32), the reference's length, the method and its bytes, in the
 * smallest class that holds them. One size for all (room for 64 bytes,
 * 72 in all) spent 37.7 B/slot at 10^6 claimed slots on references of
 * 16 bytes; their class of 32 spends 16.8. A record's number is its class
 * in the top two bits and its index in its slab below (claims, and so
 * payments, are fewer than 2^28). */
#define LEDGER_PAY_CLASSES      3
#define LEDGER_PAY_HEAD_BYTES   6u /* fee, length, method */
#define LEDGER_PAY_CLASS_SHIFT  30
#define LEDGER_PAY_REC_BYTES(k) ((k) == 0 ? 32u : (k) == 1 ? 48u : 72u)
_Static_assert(LEDGER_PAY_REC_BYTES(LEDGER_PAY_CLASSES - 1) >=
                   LEDGER_PAY_HEAD_BYTES + SLOT_PAYMENT_REF_MAX,
               "the largest class holds the longest reference");
_Static_assert(LEDGER_CLAIMS_MAX <= 1u << LEDGER_PAY_CLASS_SHIFT,
               "a slab index fits below the class");
struct payslab {
    char *recs;              /* cap records of the class's size */
    uint32_t len, cap, free; /* free: a list through unused records */
};

/* One row of the reconciliation counters (money.c): a local day,
 * hospital (NONE: free-standing), channel and pay method. */
struct recon {
    uint32_t day;
    uint32_t hospital;
    uint8_t channel;
    uint8_t method; /* index, or PAY_NONE */
    uint32_t booked, checkin_paid, checked_in, cancelled, refunded, moved,
        no_show;
    uint64_t booked_cents, checkin_paid_cents, cancelled_cents, refunded_cents;
};
#define PAY_NONE UINT8_MAX

/* A remembered idempotency key (IDEM commands): its command's fingerprint
 * and the result to answer again. */
struct idem {
    char channel[SLOT_CHANNEL_MAX];
    char key[SLOT_IDEM_KEY_MAX];
    uint8_t channel_len;
    uint8_t key_len;
    uint32_t link; /* next in the FIFO (oldest first), or next free */
    uint64_t fingerprint;
    struct slot_result r; /* r.time_ms: when the key was first used */
};

struct sres {
    uint64_t seq; /* 0 = empty */
    uint64_t fingerprint;
    struct slot_result r;
};

struct session {
    uint64_t id; /* 0 = free slab entry */
    uint64_t last_used_ms;
    uint64_t max_seq;
    uint32_t prev, next; /* LRU list: head = least recently used; free
                          * slab entries chain through next */
    struct sres *ring;   /* SLOT_SESSION_WINDOW entries, by seq % window */
};

struct ledger {
    uint64_t time_ms;
    uint64_t next_claim_id;
    uint64_t next_session_id;
    struct slot_config config;

    char channels[LEDGER_CHANNELS_MAX][SLOT_CHANNEL_MAX];
    uint8_t channel_len[LEDGER_CHANNELS_MAX];
    uint32_t n_channels;

    struct pool *pools;
    uint32_t n_pools, pools_cap;
    struct htab pool_index; /* hash(id) -> pool */

    struct patient *patients;
    uint32_t n_patients, patients_cap;
    char *pkeys;
    uint32_t pkeys_len, pkeys_cap;
    struct htab patient_index; /* hash(key) -> patient */

    struct claim *claims;
    uint32_t claims_len, claims_cap, claims_free;
    uint32_t n_held, n_booked, n_retained;
    struct htab claim_index; /* id -> claim */
    struct htab pp_index;    /* pool << 32 | patient -> active claim */
    uint32_t *heap;          /* HELD claims by (deadline, id) */
    uint32_t heap_len, heap_cap;
    uint32_t ret_head, ret_tail; /* retained FIFO, oldest at head */

    struct payslab payslabs[LEDGER_PAY_CLASSES];
    struct cvisit *cvisits;
    uint32_t cvisits_len, cvisits_cap, cvisits_free;

    /* Schedules: names (campus, department, doctor) interned in an arena,
     * hospitals, and the flow-back heap (pools by (flow_due_ms, index)). */
    uint32_t *names; /* name i: offset into nkeys (length in nlens) */
    uint8_t *nlens;
    uint32_t n_names, names_cap, nlens_cap;
    char *nkeys;
    uint32_t nkeys_len, nkeys_cap;
    struct htab name_index; /* hash(name) -> names index */
    struct hospital *hospitals;
    uint32_t n_hospitals, hospitals_cap;
    uint32_t *flowheap;
    uint32_t flowheap_len, flowheap_cap;

    /* The patient rules: records, accounts, the patient-claims index
     * (patient -> each of its HELD and BOOKED claims), cooling slots and
     * the staff log (a ring of LEDGER_STAFF_LOG_MAX). */
    struct pext *pexts;
    uint32_t n_pexts, pexts_cap;
    struct account *accounts;
    uint32_t n_accounts, accounts_cap;
    struct htab account_index; /* hash(key) -> account */
    struct htab offer_index;   /* claim -> itself: HELD offers */
    struct cool *cools;
    uint32_t n_cools, cools_cap;
    struct staff *staff;
    uint32_t staff_len, staff_cap, staff_head;
    uint64_t staff_seq; /* of the newest entry */

    /* The visit day: bookings waiting for check-in to close. */
    struct noshow *nsheap;
    uint32_t nsheap_len, nsheap_cap;

    /* The event feed: a ring of the newest events (oldest at ev_head),
     * growing to LEDGER_EVENTS_MAX; ev_last the newest seq ever;
     * entry_index the Raft index of the entry being applied. */
    struct evrec *events;
    uint32_t ev_head, ev_len, ev_cap;
    uint64_t ev_last;
    /* The runs of the window's events (struct evrun), a ring like the
     * events' (oldest at evrun_head): the first one holds the oldest
     * event. */
    struct evrun *evruns;
    uint32_t evrun_head, evrun_len, evrun_cap;
    uint64_t entry_index;
    /* The events' payment references, FIFO like the events: bytes at
     * absolute positions evref_tail .. evref_tail + evref_used (u32,
     * wrapping), the oldest at evrefs[evref_phys]. */
    char *evrefs;
    uint32_t evref_cap, evref_used, evref_tail, evref_phys;

    /* Money (money.c): pay methods (interned, never forgotten), the
     * reconciliation rows sorted by (day, hospital, channel, method
     * index) and the oldest day kept. */
    char pay_methods[LEDGER_PAY_METHODS_MAX][SLOT_PAY_METHOD_MAX];
    uint8_t pay_method_len[LEDGER_PAY_METHODS_MAX];
    uint32_t n_pay_methods;
    struct recon *recons;
    uint32_t n_recons, recons_cap;
    uint32_t recon_kept_from;

    struct idem *idems;
    uint32_t idems_len, idems_cap, idems_free, n_idems;
    struct htab idem_index; /* hash(channel, key) -> idem */
    uint32_t idem_head, idem_tail;

    struct session *sessions;
    uint32_t sessions_len, sessions_cap, sessions_free, n_sessions;
    struct htab session_index; /* id -> session */
    uint32_t lru_head, lru_tail;
};

/* ---- shared helpers --------------------------------------------------- */

/* ledger.c. Every allocation of the ledger goes through here; failure
 * aborts (ledger.h, "Memory"). */
void *ledger__realloc(void *p, size_t n);
/* Reports a broken invariant of pool pi (file, line, what) and aborts: a
 * replica that continued would diverge silently. */
void ledger__pool_panic(const struct ledger *l, uint32_t pi, const char *what,
                        const char *file, int line);
#define POOL_ASSERT(l, pi, cond)                                               \
    do {                                                                       \
        if (!(cond)) {                                                         \
            ledger__pool_panic((l), (pi), #cond, __FILE__, __LINE__);          \
        }                                                                      \
    } while (0)

/* calloc that aborts like ledger__realloc. Large blocks come from fresh
 * zeroed pages, which are mapped only when first touched. */
void *ledger__calloc(size_t n, size_t size);

/* Pre-faulting. An array that fills from its end (the claim slab, the
 * patients, the feed's ring) has its pages mapped a chunk ahead of use:
 * when an append enters chunk c (LEDGER_POPULATE_CHUNK bytes, from the
 * array's start), one madvise(MADV_POPULATE_WRITE) maps chunk c + 1 (as
 * far as the capacity goes). That replaces 64 page faults with one call;
 * in bench_ledger part (d) page faults were a third of a HOLD while the
 * ledger grows (each one traps to the hypervisor on a VM). No state is
 * kept: whether an append enters a chunk follows from its offset. It
 * changes no byte the ledger reads, so replicas stay identical whatever
 * the kernel does with it (a refusal is ignored: the pages then fault in
 * one by one). Arrays below one chunk are never pre-faulted.
 * A range of 2 MiB or more mapped in one call (only restore's, which
 * knows its sizes: LEDGER_RESERVE, ledger__htab_reserve, and ledger_check's
 * scratch table, reserved the same way) is advised
 * MADV_HUGEPAGE first: restore reads and writes its tables and slabs all
 * over, and with 4 KiB pages a random access there cost ~160 ns against
 * ~25 ns with 2 MiB ones (64 MiB, 2 x 10^6 random touches on this VM),
 * the page walks and this VM's traps on them being the cost. The apply
 * path's chunks are smaller and keep the kernel's default. */
#define LEDGER_POPULATE_SHIFT   18 /* 256 KiB chunks */
#define LEDGER_POPULATE_CHUNK   ((size_t)1 << LEDGER_POPULATE_SHIFT)
#define LEDGER_HUGE_RANGE_BYTES ((uintptr_t)2 << 20) /* one x86-64 huge page */
void ledger__populate_range(void *base, size_t from, size_t to);
static inline void ledger__populate_ahead(void *base, size_t off, size_t elem,
                                          size_t cap_bytes)
{
    size_t c = (off + elem) >> LEDGER_POPULATE_SHIFT;
    if (c != off >> LEDGER_POPULATE_SHIFT) {
        size_t from = (c + 1) << LEDGER_POPULATE_SHIFT;
        size_t to = from + LEDGER_POPULATE_CHUNK;
        ledger__populate_range(base, from, to < cap_bytes ? to : cap_bytes);
    }
}

/* Grows an array so that index `need` fits, and pre-faults the chunk
 * after the one index `need` lies in (above). Small arrays double; from
 * LEDGER_GROW_SLOW_BYTES up an array grows by an eighth, so that its
 * unused tail is at most an eighth rather than half: at 10^6 claimed
 * slots doubling left the patient keys' arena 16 MiB for 11 used. A
 * block that large is mmapped by the allocator, and its realloc remaps
 * pages rather than copying them, so the more frequent steps cost little. */
#define LEDGER_GROW_SLOW_BYTES ((size_t)1 << 20)
static inline uint32_t ledger__grow_cap(uint32_t cap, uint32_t need,
                                        size_t elem)
{
    uint32_t nc = cap < 16 ? 16 : cap;
    while (need >= nc) {
        nc = (size_t)nc * elem < LEDGER_GROW_SLOW_BYTES ? nc * 2 : nc + nc / 8;
    }
    return nc;
}
/* The same for elements of `elem` bytes (a size known only at run time:
 * the payment records' classes): returns the array, *cap updated. */
static inline void *ledger__grow(void *arr, size_t elem, uint32_t *cap,
                                 uint32_t need)
{
    if (need >= *cap) {
        *cap = ledger__grow_cap(*cap, need, elem);
        arr = ledger__realloc(arr, (size_t)*cap * elem);
    }
    ledger__populate_ahead(arr, (size_t)need * elem, elem, (size_t)*cap * elem);
    return arr;
}
#define LEDGER_GROW(arr, cap, need)                                            \
    do {                                                                       \
        uint32_t ledger_cap_ = (cap);                                          \
        (arr) = ledger__grow((arr), sizeof *(arr), &ledger_cap_, (need));      \
        (cap) = ledger_cap_;                                                   \
    } while (0)

/* Makes room for `n` more entries after the first `len` in one step (restore,
 * which knows its sizes up front): the capacity LEDGER_GROW would have
 * reached step by step, one reallocation instead of one per step, and
 * the new entries' pages mapped in one madvise instead of one per chunk
 * (the appends' LEDGER_GROW then finds them mapped already). */
#define LEDGER_RESERVE(arr, cap, len, n)                                       \
    do {                                                                       \
        if ((n) > 0) {                                                         \
            uint32_t ledger_last_ = (uint32_t)(len) + (uint32_t)(n)-1;         \
            LEDGER_GROW(arr, cap, ledger_last_);                               \
            ledger__populate_range((arr), (size_t)(len) * sizeof *(arr),       \
                                   (size_t)(ledger_last_ + 1) *                \
                                       sizeof *(arr));                         \
        }                                                                      \
    } while (0)

/* htab.c */
/* Calls match(ctx, val) for each value stored under key's tag, until it
 * returns true: returns that value, or NONE. match (never NULL) must
 * accept only values whose key is `key`. */
uint32_t ledger__htab_find(const struct htab *t, uint64_t key,
                           bool (*match)(const void *ctx, uint32_t val),
                           const void *ctx);
void ledger__htab_put(struct htab *t, uint64_t key, uint32_t val);
/* Starts loading the position a lookup of key looks at first, changing
 * nothing. A loop over many keys in a table larger than the caches waits
 * on memory at every lookup (a restore of 10^6 claims spent half its time
 * on the first load of each); prefetching a few keys ahead overlaps those
 * waits. */
void ledger__htab_prefetch(const struct htab *t, uint64_t key);
/* How many keys ahead such loops prefetch: enough loads in flight to hide
 * a miss, few enough that the first is still cached when used. */
#define LEDGER_PREFETCH_AHEAD 16
/* A match that accepts the value *(const uint32_t *)ctx. */
bool ledger__htab_same(const void *ctx, uint32_t val);
/* Removes the entry (key, val); it must exist. */
void ledger__htab_del(struct htab *t, uint64_t key, uint32_t val);
/* Makes room for n more entries without rehashing on the way (restore
 * knows its counts up front). */
void ledger__htab_reserve(struct htab *t, uint32_t n);
void ledger__htab_free(struct htab *t);

/* intern.c */
uint32_t ledger__pool_find(const struct ledger *l, const char *id, size_t len);
uint32_t ledger__patient_find(const struct ledger *l, const char *key,
                              size_t len);
uint32_t ledger__channel_find(const struct ledger *l, const char *name,
                              size_t len);
uint32_t ledger__pool_add(struct ledger *l, const char *id, size_t len);
uint32_t ledger__patient_add(struct ledger *l, const char *key, size_t len);
uint32_t ledger__channel_add(struct ledger *l, const char *name, size_t len);
/* Schedule names (campus, department, doctor): find, add, intern ("" is
 * NONE), and the string of an index (NONE: ""). */
uint32_t ledger__name_find(const struct ledger *l, struct slot_str name);
uint32_t ledger__name_add(struct ledger *l, struct slot_str name);
uint32_t ledger__name_intern(struct ledger *l, struct slot_str name);
struct slot_str ledger__name_str(const struct ledger *l, uint32_t ni);
struct slot_str ledger__channel_str(const struct ledger *l, uint32_t ci);
/* s as a NUL-terminated string into out (room for s.len + 1). */
void ledger__copy_str(char *out, struct slot_str s);
/* The channel's index, interning it if new (the caller checked room). */
uint32_t ledger__channel_intern(struct ledger *l, struct slot_str name);
/* The share index of `channel` in pool p, or -1. */
int ledger__share_of(const struct pool *p, uint32_t channel);
struct bucket *ledger__claim_bucket(struct ledger *l, const struct claim *c);

/* claims.c */
uint32_t ledger__claim_alloc(struct ledger *l);
/* Claim c's visit-day record (zeros if it has none). */
static inline struct cvisit ledger__claim_visit(const struct ledger *l,
                                                const struct claim *c)
{
    if (c->visit == NONE) {
        return (struct cvisit){0, 0, 0};
    }
    return l->cvisits[c->visit];
}
/* Claim ci's visit-day record, made (zeros) if it has none. */
struct cvisit *ledger__claim_visit_mut(struct ledger *l, uint32_t ci);
/* Payment record pr (not NONE). */
struct payref ledger__payref(const struct ledger *l, uint32_t pr);
uint32_t ledger__payref_alloc(struct ledger *l, const char *s, size_t len,
                              uint8_t method, uint32_t fee_cents);
void ledger__heap_push(struct ledger *l, uint32_t ci);
/* How many entries of a binary min-heap of len entries are due (due_at(l,
 * pos) <= now), counting at most cap (<= SLOT_EXPIRE_DUE_COUNT_MAX): the
 * expiry, flow-back and cooling heaps' still-due counts. */
uint32_t ledger__heap_due(const struct ledger *l, uint32_t len,
                          uint64_t (*due_at)(const struct ledger *,
                                             uint32_t pos),
                          uint32_t cap);
void ledger__retain_push(struct ledger *l, uint32_t ci);
void ledger__heap_remove(struct ledger *l, uint32_t ci);
/* Asserts free + held + booked == capacity for a bucket of pool pi. */
void ledger__bucket_assert(const struct ledger *l, uint32_t pi,
                           const struct bucket *b);
/* HELD -> RELEASED / EXPIRED, or BOOKED -> CANCELLED: the slot is free
 * again and the claim joins the retained FIFO. */
void ledger__claim_resolve(struct ledger *l, uint32_t ci, uint8_t state);
/* The same; to_free: the slot goes to free even under a cool-down (a
 * cancel whose slot the waitlist takes in the same command). */
void ledger__claim_resolve_to(struct ledger *l, uint32_t ci, uint8_t state,
                              bool to_free);
/* The oldest retained claim leaves the ledger: its id becomes unknown. */
void ledger__claim_forget(struct ledger *l, uint32_t ci);
/* The claim with this id (any state still known), or NONE. */
uint32_t ledger__claim_find(const struct ledger *l, uint64_t id);
/* The active (HELD or BOOKED) claim of (pool, patient), or NONE. */
uint32_t ledger__pp_find(const struct ledger *l, uint32_t pool,
                         uint32_t patient);
/* Whether claim ci is an open waitlist offer (offer_index). */
bool ledger__offer_has(const struct ledger *l, uint32_t ci);
/* A claim in this state was confirmed: a booking, live or ended (BOOKED,
 * CANCELLED, MOVED). */
static inline bool ledger__state_confirmed(uint8_t st)
{
    return st == SLOT_CLAIM_BOOKED || st == SLOT_CLAIM_CANCELLED ||
           st == SLOT_CLAIM_MOVED;
}
/* When a claim was booked (0: never confirmed). */
static inline uint64_t ledger__claim_booked_at(const struct claim *c)
{
    return ledger__state_confirmed(c->state)
               ? c->held_at_ms + c->booked_after_ms
               : 0;
}
/* The booking with this id (a confirmed claim still known), or NONE: what
 * CANCEL, MOVE, CHECKIN and the booking read answer UNKNOWN_BOOKING to. */
uint32_t ledger__booking_find(const struct ledger *l, uint64_t id);

/* patients.c: the patient rules (ledger.h, "Patients, accounts ..."). */
/* The patient's record, created if it has none. */
struct pext *ledger__pext(struct ledger *l, uint32_t patient);
/* The record, or NULL. */
const struct pext *ledger__pext_get(const struct ledger *l, uint32_t patient);
uint32_t ledger__account_find(const struct ledger *l, struct slot_str key);
struct slot_str ledger__account_str(const struct ledger *l, uint32_t ai);
/* A new account (no patients, no changes) under key; the caller checked
 * that it is new and that the table has room. */
uint32_t ledger__account_add(struct ledger *l, struct slot_str key);
/* HOLD's patient refusals between TTL_OUT_OF_RANGE and PATIENT_HAS_CLAIM
 * (NOT_BOUND, BLACKLISTED, CANCEL_LIMIT); *use_exception: the hold passes
 * only thanks to a pending exception (used up if it succeeds). patient may
 * be NONE (unknown yet). */
int ledger__hold_patient_rules(const struct ledger *l, const struct pool *p,
                               uint32_t patient, struct slot_str channel,
                               struct slot_str account, bool *use_exception,
                               struct slot_result *res);
/* HOLD's QUOTA_EXCEEDED (after PATIENT_HAS_CLAIM). */
int ledger__hold_quotas(const struct ledger *l, const struct pool *p,
                        uint32_t patient, struct slot_result *res);
void ledger__use_exception(struct ledger *l, uint32_t patient,
                           uint32_t hospital);
/* Is the patient bound to this account (non-empty) now? */
bool ledger__bound_to(const struct ledger *l, uint32_t patient,
                      struct slot_str account);
/* NOT_OWNER of CONFIRM / RELEASE / CANCEL. */
int ledger__owner_check(const struct ledger *l, const struct claim *c,
                        const struct slot_cmd *cmd);
/* CANCEL_CLOSED of a BOOKED claim. */
int ledger__cancel_closed(const struct ledger *l, const struct claim *c,
                          const struct slot_cmd *cmd);
void ledger__cancel_record(struct ledger *l, const struct claim *c);
/* Records a violation; returns the count in the window, *until the
 * blacklist's end (0: none). */
uint32_t ledger__violation_add(struct ledger *l, uint32_t patient,
                               uint32_t hospital, uint8_t kind,
                               uint64_t *until);
int ledger__account_bind(struct ledger *l, const struct slot_cmd *cmd,
                         struct slot_result *res);
int ledger__account_unbind(struct ledger *l, const struct slot_cmd *cmd,
                           struct slot_result *res);
int ledger__staff_cmd(struct ledger *l, const struct slot_cmd *cmd,
                      struct slot_result *res);
/* Appends a staff log entry (hospital, patient, pool: NONE for none). */
void ledger__staff_log(struct ledger *l, uint8_t op, uint8_t kind,
                       struct slot_str operator_name, struct slot_str reason,
                       uint32_t hospital, uint32_t patient, uint32_t pool);
/* The patient-claims index: a claim becomes active / stops being. */
void ledger__pa_add(struct ledger *l, uint32_t ci);
void ledger__pa_del(struct ledger *l, uint32_t ci);
/* Calls match(ctx, ci) for each active claim of the patient, until it
 * returns true: returns that claim, or NONE. */
uint32_t ledger__pa_find(const struct ledger *l, uint32_t patient,
                         bool (*match)(const void *ctx, uint32_t ci),
                         const void *ctx);

/* cooling.c */
/* A slot of claim c starts cooling (b->cooling counted by the caller)
 * until the due time its pool's rules give counting from from_ms; false
 * (nothing pushed) if that time is not after now. */
bool ledger__cool_push(struct ledger *l, const struct claim *c,
                       const struct slot_patient_rules *pr, uint64_t from_ms);
/* Returns up to max due cooling slots to free; returns how many. */
uint32_t ledger__cool_sweep(struct ledger *l, uint32_t max);
/* Due entries, counting at most cap. */
uint32_t ledger__cool_due(const struct ledger *l, uint32_t cap);
uint64_t ledger__cool_next_ms(const struct ledger *l);
/* Puts a restored entry in place (restore; heap order rebuilt). */
void ledger__cool_restore(struct ledger *l, const struct cool *c);

/* Key of pp_index: one active claim per (pool, patient). */
static inline uint64_t ledger__pp_key(uint32_t pool, uint32_t patient)
{
    return (uint64_t)pool << 32 | patient;
}

/* A HELD claim whose deadline ledger time has reached: expired in all but
 * bookkeeping (the next touch or sweep resolves it). */
static inline bool ledger__claim_due(const struct ledger *l,
                                     const struct claim *c)
{
    return c->state == SLOT_CLAIM_HELD && c->deadline_ms <= l->time_ms;
}

/* sessions.c */
/* The session with this id, or NONE. */
uint32_t ledger__session_find(const struct ledger *l, uint64_t id);
uint32_t ledger__session_alloc(struct ledger *l, uint64_t id,
                               uint64_t last_used_ms);
void ledger__session_forget(struct ledger *l, uint32_t si);
/* Marks session si used now (the most recently used end of the LRU). */
void ledger__session_touch(struct ledger *l, uint32_t si);
/* The ring entry for request seq of session s. */
struct sres *ledger__session_slot(struct session *s, uint64_t seq);
/* Forgets results that fell out of the session's window. */
void ledger__session_drop_old(struct session *s);
/* The bounded housekeeping before each command (ledger.h, "Exact rules"). */
void ledger__evict_bounded(struct ledger *l);
uint64_t ledger__idem_hash(struct slot_str channel, struct slot_str key);
uint32_t ledger__idem_find(const struct ledger *l, struct slot_str channel,
                           struct slot_str key);
/* Appends a new key at the FIFO's young end. */
void ledger__idem_add(struct ledger *l, struct slot_str channel,
                      struct slot_str key, uint64_t fingerprint,
                      const struct slot_result *r);

/* ---- the commands (ledger.h, "Exact rules"): each returns its code and
 *      fills res->a / res->b on success; apply.c dispatches to them ----- */

/* pools.c */
int ledger__pool_create(struct ledger *l, const struct slot_pool_spec *sp);
int ledger__pool_update(struct ledger *l, const struct slot_pool_spec *sp);
int ledger__pool_close(struct ledger *l, struct slot_str id);

/* pools.c: whether a spec's new names fit the channel and names tables
 * (counts added to *extra_*, for commands that create several pools);
 * inserting a pool whose checks passed (hospital: its index, or NONE);
 * visit numbers (lowest freed first). */
int ledger__spec_fits(const struct ledger *l, const struct slot_pool_spec *sp,
                      uint32_t *extra_channels, uint32_t *extra_names);
uint32_t ledger__pool_insert(struct ledger *l, const struct slot_pool_spec *sp,
                             uint32_t hospital);
uint32_t ledger__visit_take(struct pool *p);
void ledger__visit_free(struct pool *p, uint32_t visit_no);

/* hospitals.c */
uint32_t ledger__hospital_find(const struct ledger *l, struct slot_str id);
/* The rules that apply to a pool (its department's, else its hospital's);
 * NULL for a free-standing pool. */
const struct slot_rules *ledger__rules_of(const struct ledger *l,
                                          const struct pool *p);
/* The pool query's order: (visit_day, seg_start_ms, department, doctor,
 * pool id); <0, 0, >0. */
int ledger__query_cmp(const struct ledger *l, uint32_t a, uint32_t b);
/* A scheduled pool into / out of its hospital's day index (each day's pools
 * kept in query order). */
void ledger__sched_index_add(struct ledger *l, uint32_t pi);
void ledger__sched_index_remove(struct ledger *l, uint32_t pi);
int ledger__rules_set(struct ledger *l, const struct slot_cmd *cmd,
                      struct slot_result *res);

/* flowback.c: the due time the rules give a pool (UINT64_MAX: none), and
 * putting the pool where that says in the flow-back heap. */
uint64_t ledger__flow_due(const struct ledger *l, uint32_t pi);
void ledger__flow_schedule(struct ledger *l, uint32_t pi);
void ledger__flow_push(struct ledger *l, uint32_t pi);
int ledger__sweep(struct ledger *l, uint32_t max, struct slot_result *res);

/* schedule.c */
int ledger__schedule_import(struct ledger *l, const struct slot_cmd *cmd,
                            struct slot_result *res);

/* reads.c: a pool's status as reads report it. */
void ledger__pool_status(const struct ledger *l, uint32_t pi,
                         struct slot_pool_status *out);
/* When pool p opens to channels that follow the hospital's horizon (the
 * status's release_at_ms; before it the pool is SCHEDULED). */
uint64_t ledger__opens_at(const struct ledger *l, const struct pool *p);
/* A claim as reads report it. */
void ledger__claim_out(const struct ledger *l, const struct claim *c,
                       struct slot_claim *out);

/* feed.c: the event feed (ledger.h, "The event feed"). */
#define EV_NO_CHANNEL UINT8_MAX
/* Appends an event at ledger time; the names are indexes or NONE. */
void ledger__event(struct ledger *l, uint8_t type, uint32_t pool,
                   uint64_t claim, uint32_t patient, uint32_t channel,
                   uint32_t hospital, uint64_t a, uint64_t b);
/* An event of claim ci: its pool, id, patient, channel, the patient's
 * account now, the pool's hospital. */
void ledger__claim_event(struct ledger *l, uint32_t ci, uint8_t type,
                         uint64_t a, uint64_t b);
/* An event of pool pi alone (and its hospital). */
void ledger__pool_event(struct ledger *l, uint32_t pi, uint8_t type, uint64_t a,
                        uint64_t b);
/* Drops up to SLOT_EVENTS_EVICT_PER_CMD events past the retention. */
void ledger__events_evict(struct ledger *l);
/* Restore: room for n events in an empty window, allocated and mapped in
 * one step. */
void ledger__events_reserve(struct ledger *l, uint32_t n);
/* Appends restored event seq with its payment reference (ref of
 * e->ref_len bytes; restore checked seq order), setting its ref_pos. */
void ledger__event_restore(struct ledger *l, const struct event *e,
                           uint64_t seq, const char *ref);
/* A walk from position i (<= ev_len) of the window; next reads the event
 * there into *e and moves on (false: none left). */
void ledger__events_walk(const struct ledger *l, uint32_t i, struct evwalk *w);
bool ledger__events_next(const struct ledger *l, struct evwalk *w,
                         struct event *e);
/* The payment reference of an event held (e->ref_len bytes) into out. */
void ledger__event_ref(const struct ledger *l, const struct event *e,
                       char *out);

/* money.c: pay methods, reconciliation counters and pool statistics
 * (ledger.h, "Money and statistics"). */
/* The index of pay method m ("" is PAY_NONE); NONE if unknown. */
uint32_t ledger__pay_method_find(const struct ledger *l, struct slot_str m);
/* Whether m ("" or known or room for one more) can be recorded: the
 * LIMIT_REACHED check, changing nothing. */
bool ledger__pay_method_fits(const struct ledger *l, struct slot_str m);
/* m's index, interning it if new (the caller checked it fits). */
uint8_t ledger__pay_method_intern(struct ledger *l, struct slot_str m);
struct slot_str ledger__pay_method_str(const struct ledger *l, uint8_t mi);
/* Records claim ci's payment: reference, method, the pool's fee now. */
void ledger__payment_set(struct ledger *l, uint32_t ci, struct slot_str ref,
                         struct slot_str method);
/* The money an event of claim ci moves, counted (after the event is in
 * the feed): reconciliation row and pool statistics. */
void ledger__money_count(struct ledger *l, uint32_t ci, uint8_t type,
                         uint64_t a, uint64_t b, uint32_t local_day);
/* Names in bytewise order, a prefix first (<0, 0, >0). */
int ledger__str_cmp(struct slot_str a, struct slot_str b);
/* The local day of ledger time in hospital hi's time (NONE: UTC). */
uint32_t ledger__local_day(const struct ledger *l, uint32_t hi);
/* The row of (day, hospital, channel, method), made if new (dropping the
 * oldest days past LEDGER_RECON_DAYS_KEPT / LEDGER_RECON_ROWS_MAX); NULL
 * when day is older than what is kept. Restore uses it too. */
struct recon *ledger__recon_row(struct ledger *l, uint32_t day,
                                uint32_t hospital, uint8_t channel,
                                uint8_t method);

/* visit.c: the visit day (ledger.h, "The visit day"). */
int ledger__pool_stop(struct ledger *l, const struct slot_cmd *cmd,
                      struct slot_result *res);
int ledger__move(struct ledger *l, const struct slot_cmd *cmd,
                 struct slot_result *res);
int ledger__checkin(struct ledger *l, const struct slot_cmd *cmd,
                    struct slot_result *res);
/* A booking just made (CONFIRM, MOVE) joins the no-show heap if its
 * pool's rules sweep no-shows and check-in has not closed yet. */
void ledger__noshow_join(struct ledger *l, uint32_t ci);
/* A BOOKED claim leaves the no-show heap, if it is in it. */
void ledger__noshow_leave(struct ledger *l, uint32_t ci);
/* SWEEP's no-show part: up to max due entries; returns how many. */
uint32_t ledger__noshow_sweep(struct ledger *l, uint32_t max);
uint32_t ledger__noshow_due(const struct ledger *l, uint32_t cap);
uint64_t ledger__noshow_next_ms(const struct ledger *l);
/* Puts a restored entry in place (restore; its claim's link set). */
void ledger__noshow_restore(struct ledger *l, uint64_t due_ms, uint32_t ci);
/* The bucket a new claim of `channel` takes in pool pi (HOLD's order,
 * holds.c), or NULL when sold out. */
struct bucket *ledger__pick_bucket(const struct ledger *l, uint32_t pi,
                                   uint32_t channel, uint8_t *from_share,
                                   uint8_t *bucket);

/* holds.c */
int ledger__hold(struct ledger *l, const struct slot_cmd *cmd,
                 struct slot_result *res);
int ledger__confirm(struct ledger *l, const struct slot_cmd *cmd,
                    struct slot_result *res);
int ledger__release(struct ledger *l, const struct slot_cmd *cmd);
int ledger__cancel(struct ledger *l, const struct slot_cmd *cmd);
int ledger__expire(struct ledger *l, uint32_t max, struct slot_result *res);
int ledger__wait_join(struct ledger *l, const struct slot_cmd *cmd,
                      struct slot_result *res);
int ledger__wait_leave(struct ledger *l, const struct slot_cmd *cmd);

#endif /* SLOT_LEDGER_INT_H */
