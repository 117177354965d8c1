/* recon: the reconciliation of one local day D of the ledger's money
 * (libslot.h and node/ledger/ledger.h, "Money and statistics"), shared by
 * slotctl reconcile and the gateway. Pure: no I/O, no clock, no libuv;
 * memory only through malloc/realloc, bounded by RECON_LINES_MAX.
 *
 * Use: recon_init(D, filters, format); recon_feed every event of the
 * feed or the archive that may be D's, in seq order (events of other days
 * and other hospitals or channels are passed over); recon_report with
 * the ledger's READ_RECON rows of D (every page, any order) and its
 * READ_STATS rows of visit day D; take the document with recon_text;
 * recon_free.
 *
 * Lines. One per event with local_day == D (and the filters) of these
 * kinds, cents: + money taken, - money owed back, 0 none:
 *   booking   BOOKED made by a confirm           + fee_cents (0 unpaid)
 *   checkin   CHECKED_IN                         + fee_cents if it paid
 *                                                  (b = 1), else 0
 *   cancel    CANCELLED with a = 0               - fee_cents
 *   refund    CANCELLED with a = 1 (stoppage)    - fee_cents
 *   move      MOVED                              0
 *   no_show   NO_SHOW                            0
 * A BOOKED that directly follows (seq + 1) a MOVED whose a is its claim
 * is the move's new booking: no line, no money (the MOVED line is it).
 * Each line is [seq, time (UTC, ISO 8601), kind, hospital, channel,
 * pay_method, pool, claim, patient, payment_ref, cents].
 *
 * Sums. The lines are summed per (hospital, channel, pay_method) into the
 * counters of struct slotc_recon_row, exactly as the ledger counts them,
 * and compared with the ledger's rows: a key on one side only compares
 * with zeros. A row agrees when all eleven counters are equal.
 *
 * The document (CSV or JSON) holds, in this order: the lines; the rows
 * (each: agree, or differs with both values); totals per payment method
 * (of the ledger's rows: the authority, complete even where the lines are
 * not); the statistics of visit day D (booking rate = booked_now /
 * released, 0 when nothing was released); the outcome.
 * CSV: sections separated by one empty line, each led by a header record;
 * the first field of every record names its section (line, row, method,
 * stats, result), so `grep '^line,'` gives the lines. Fields are quoted
 * (RFC 4180) when they hold a comma, a quote, CR or LF.
 * JSON: one object {"day", "hospital", "channel", "lines": [...], "rows":
 * [...], "methods": [...], "stats": [...], "agree", "rows_differing",
 * "kept_from_day", "lines_total"}.
 *
 * Errors are codes of enum slot_err with a message in r->err:
 * TOO_LARGE (more than RECON_LINES_MAX lines or RECON_KEYS_MAX keys: the
 * message names the limit), BUSY (no memory), INVALID_ARGUMENT (a bad
 * argument to recon_init). After an error the recon only takes
 * recon_free.
 */
#ifndef SLOT_RECON_H
#define SLOT_RECON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libslot.h"

#define RECON_LINES_MAX 4000000u /* lines of one day's reconciliation */
#define RECON_KEYS_MAX  65536u   /* (hospital, channel, pay_method) keys */
#define RECON_ERR_MAX   256

enum recon_format { RECON_CSV = 0, RECON_JSON = 1 };

enum recon_kind {
    RECON_BOOKING = 1,
    RECON_CHECKIN = 2,
    RECON_CANCEL = 3,
    RECON_REFUND = 4,
    RECON_MOVE = 5,
    RECON_NO_SHOW = 6,
};
/* "booking", "checkin", "cancel", "refund", "move", "no_show"; NULL for
 * another value. Static. */
const char *recon_kind_name(int kind);

/* Which line an event makes, if any (kind 0: none), with its cents,
 * given whether it is the new booking of a move (the caller tracks the
 * pair; recon_feed does). Exposed for the gateway and tests. */
int recon_event_kind(const struct slotc_event *e, bool move_booking,
                     int64_t *cents);

/* Whether lines read from the event feed's oldest event on miss the
 * start of day `day`: the feed no longer holds seq 1 (the window moved)
 * and its oldest event is of local day `day` or later, so events of the
 * day may have gone before it. (An oldest event of an earlier day proves
 * the day's start is held, ledger time never going back.) */
bool recon_feed_incomplete(const struct slotc_event *oldest, uint32_t day);

/* Fields with a leading '_' are private. */
struct recon {
    uint32_t day;                        /* D, the local day */
    char hospital[SLOTC_NAME_MAX + 1];   /* filter: "" any */
    char channel[SLOTC_CHANNEL_MAX + 1]; /* filter: "" any */
    int format;                          /* enum recon_format */
    uint64_t lines;                      /* lines so far */
    uint64_t events;                     /* events fed (any day) */
    uint64_t repeats;        /* events passed over: seq not after the last */
    uint64_t first_seq;      /* the first event fed (0: none) */
    uint64_t last_seq;       /* the last event fed (0: none) */
    bool agree;              /* after recon_report */
    uint32_t rows_differing; /* after recon_report */
    char err[RECON_ERR_MAX];
    struct slotc_recon_row *_sums; /* sorted by key */
    uint32_t _n_sums, _cap_sums;
    char *_text; /* the document so far */
    size_t _len, _cap;
    uint64_t _move_seq, _move_claim; /* the last MOVED: its seq + 1, a */
    int _err;                        /* the first error (sticky) */
    bool _reported;
};

/* Starts the reconciliation of local day `day` (1..SLOT_DAY_MAX) for
 * hospital and channel (NULL or "": any) in `format`. SLOT_OK,
 * INVALID_ARGUMENT or BUSY. recon_free must be called in every case. */
int recon_init(struct recon *r, uint32_t day, const char *hospital,
               const char *channel, int format);

/* Takes one event (events must come in seq order; one whose seq is not
 * after the last fed is counted in r->repeats and passed over). Makes
 * its line when it is one of D's. SLOT_OK, TOO_LARGE (the line limit),
 * BUSY. */
int recon_feed(struct recon *r, const struct slotc_event *e);

/* Compares the sums with the ledger's rows of D (rows of another day are
 * passed over; the caller passes every page), and writes the rest of the
 * document with the statistics rows (those of visit day D are written)
 * and kept_from_day (READ_RECON's). Sets r->agree and r->rows_differing.
 * Once per recon. SLOT_OK, TOO_LARGE (RECON_KEYS_MAX), BUSY. */
int recon_report(struct recon *r, const struct slotc_recon_row *rows,
                 uint32_t n_rows, const struct slotc_stats_row *stats,
                 uint32_t n_stats, uint32_t kept_from_day);

/* The document written so far (NUL-terminated; owned by r, valid until
 * the next call on r). */
const char *recon_text(const struct recon *r, size_t *len);

/* The sums of the lines so far, sorted by (hospital, channel,
 * pay_method); owned by r. */
const struct slotc_recon_row *recon_sums(const struct recon *r, uint32_t *n);

/* Frees what r holds. */
void recon_free(struct recon *r);

#endif /* SLOT_RECON_H */
