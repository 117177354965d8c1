/* refmodel: an independent, deliberately naive model of the ledger's
 * semantics (node/ledger.h, "Exact rules"), used as the oracle of the
 * property test (test_ledger_prop.c).
 *
 * It shares no code with node/ledger.c: plain arrays, linear scans, counters
 * recomputed from the claims every time they are needed. It is meant to be
 * read and trusted, not to be fast or to scale. Of the ledger's table
 * limits it models only the channel table (LEDGER_CHANNELS_MAX, small
 * enough for a test to fill); the others (pools, patients, claims) hold
 * millions and are left out: no LIMIT_REACHED from them.
 *
 * The functions take and produce the same structs as their ledger
 * counterparts (struct slot_cmd in, struct slot_result / slot_pool_status /
 * slot_claim / slot_ledger_info out), so the test compares them field by
 * field. Commands are taken as decoded commands: already validated, with
 * cmd->fingerprint set. The model copies every string it keeps, so the
 * caller may free the command buffers after refmodel_apply() returns.
 *
 * Where ledger.h leaves a choice open, refmodel.c says which reading it
 * implements (search for "Interpretation").
 */
#ifndef SLOT_REFMODEL_H
#define SLOT_REFMODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "slot_proto.h"

struct refmodel;

/* A new, empty model at time 0 with the LEDGER_DEFAULT_* config. Aborts on
 * allocation failure (it is test code). Free with refmodel_destroy(). */
struct refmodel *refmodel_create(void);
void refmodel_destroy(struct refmodel *m);

/* Same contract as ledger_apply(): time = max(time, stamp_ms), then one
 * result per command into results[0..n). */
void refmodel_apply(struct refmodel *m, uint64_t stamp_ms,
                    const struct slot_cmd *cmds, uint32_t n,
                    struct slot_result *results);

uint64_t refmodel_time_ms(const struct refmodel *m);
/* Same as ledger_next_deadline_ms(). */
uint64_t refmodel_next_deadline_ms(const struct refmodel *m);

/* Same contracts as ledger_read_pool / _claim / _patient / _pools. Output
 * structs are zeroed before they are filled. */
int refmodel_read_pool(const struct refmodel *m, struct slot_str pool,
                       struct slot_pool_status *out);
int refmodel_read_claim(const struct refmodel *m, uint64_t id, bool booking,
                        struct slot_claim *out);
int refmodel_read_patient(const struct refmodel *m, struct slot_str pool,
                          struct slot_str patient, struct slot_claim *out,
                          uint32_t cap, uint32_t *n);
int refmodel_read_pools(const struct refmodel *m, struct slot_str after,
                        uint32_t limit, struct slot_pool_status *out,
                        uint32_t *n);
/* Same as ledger_info(), except state_hash, which the model does not
 * compute: it is always 0. */
void refmodel_info(const struct refmodel *m, struct slot_ledger_info *out);

/* ---- Introspection for the test's command generator (no ledger
 * counterpart) ---------------------------------------------------------- */

/* Is the session id currently known (opened and not forgotten)? */
bool refmodel_session_alive(const struct refmodel *m, uint64_t id);
/* Known sessions, most recently used first; writes at most cap ids and
 * returns the number known. */
uint32_t refmodel_sessions(const struct refmodel *m, uint64_t *ids,
                           uint32_t cap);
/* Number of pools created. */
uint32_t refmodel_pool_count(const struct refmodel *m);
/* Highest session id / claim id handed out so far (0 if none). */
uint64_t refmodel_last_session_id(const struct refmodel *m);
uint64_t refmodel_last_claim_id(const struct refmodel *m);
/* The config in force. */
struct slot_config refmodel_config(const struct refmodel *m);

#endif /* SLOT_REFMODEL_H */
