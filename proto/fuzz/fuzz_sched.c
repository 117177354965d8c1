/* fuzz_sched: the schedule messages of slot_sched.h on arbitrary bytes: a
 * rule set, a pool's schedule fields, a schedule template, rules info.
 * Whatever decodes must re-encode to something that decodes to the same
 * value, and the template's days and segments (kept as validated bytes)
 * must read back without failing. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "slot_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void rulesRoundTrip(const uint8_t *data, size_t size)
{
    struct slot_rules a, b;
    struct mp_reader r;
    mp_reader_init(&r, data, size);
    if (slot_rules_decode(&r, &a) != SLOT_OK || !mp_done(&r)) {
        return;
    }
    assert(slot_rules_check(&a) == SLOT_OK);
    struct mp_buf m;
    mp_buf_init(&m);
    slot_rules_encode(&m, &a);
    mp_reader_init(&r, m.data, m.len);
    assert(slot_rules_decode(&r, &b) == SLOT_OK && mp_done(&r));
    assert(memcmp(&a, &b, sizeof a) == 0);
    mp_buf_free(&m);
}

static bool sstrEq(struct slot_str a, struct slot_str b)
{
    return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

static void schedRoundTrip(const uint8_t *data, size_t size)
{
    struct slot_sched a, b;
    struct mp_reader r;
    mp_reader_init(&r, data, size);
    if (slot_sched_decode(&r, &a) != SLOT_OK || !mp_done(&r)) {
        return;
    }
    struct mp_buf m;
    mp_buf_init(&m);
    slot_sched_encode(&m, &a);
    mp_reader_init(&r, m.data, m.len);
    assert(slot_sched_decode(&r, &b) == SLOT_OK && mp_done(&r));
    assert(sstrEq(a.hospital, b.hospital) && sstrEq(a.doctor, b.doctor) &&
           a.visit_day == b.visit_day && a.n_eligible == b.n_eligible &&
           a.n_rem_allow == b.n_rem_allow);
    mp_buf_free(&m);
}

static void templateRoundTrip(const uint8_t *data, size_t size)
{
    struct slot_template a, b;
    struct mp_reader r;
    mp_reader_init(&r, data, size);
    if (slot_template_decode(&r, &a) != SLOT_OK || !mp_done(&r)) {
        return;
    }
    uint32_t *days = malloc(a.n_days * sizeof *days);
    struct slot_segment *segs = malloc(a.n_segments * sizeof *segs);
    assert(days != NULL && segs != NULL);
    slot_template_days(&a, days);
    slot_template_segments(&a, segs);
    char id[SLOT_POOL_ID_MAX + 1];
    assert(slot_template_pool_id(&a, days[a.n_days - 1],
                                 &segs[a.n_segments - 1],
                                 id) <= SLOT_POOL_ID_MAX);
    struct mp_buf m;
    mp_buf_init(&m);
    slot_template_encode(&m, &a);
    mp_reader_init(&r, m.data, m.len);
    assert(slot_template_decode(&r, &b) == SLOT_OK && mp_done(&r));
    assert(b.n_days == a.n_days && b.n_segments == a.n_segments &&
           sstrEq(a.days, b.days) && sstrEq(a.segments, b.segments));
    mp_buf_free(&m);
    free(days);
    free(segs);
}

static void infoRoundTrip(const uint8_t *data, size_t size)
{
    struct slot_rules_info a, b;
    struct mp_reader r;
    mp_reader_init(&r, data, size);
    if (slot_rules_info_decode(&r, &a) != SLOT_OK || !mp_done(&r)) {
        return;
    }
    struct mp_buf m;
    mp_buf_init(&m);
    slot_rules_info_encode(&m, &a);
    mp_reader_init(&r, m.data, m.len);
    assert(slot_rules_info_decode(&r, &b) == SLOT_OK && mp_done(&r));
    assert(memcmp(&a, &b, sizeof a) == 0);
    mp_buf_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rulesRoundTrip(data, size);
    schedRoundTrip(data, size);
    templateRoundTrip(data, size);
    infoRoundTrip(data, size);
    return 0;
}
