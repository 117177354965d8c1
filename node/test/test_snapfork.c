/* test_snapfork: snapshots encoded by a forked child (node/snapfork.h).
 *
 * A real libuv loop and real fork(): the snapshot must be the ledger as it
 * was when the child was forked, whatever the parent applies meanwhile;
 * cancel must kill and reap the child; the handle must close. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <uv.h>

#include "check.h"
#include "fsm.h"
#include "snapfork.h"

#define T0 1000000u

struct fx {
    uv_loop_t loop;
    struct ledger *l;
    uint64_t session, seq;
    struct snapfork s;
    struct raft_buffer buf;
    int ready_calls, ready_status, closed;
};

static struct slot_result apply(struct fx *f, struct slot_cmd c)
{
    /* Through the codec: the ledger takes only decoded commands. */
    struct mp_buf b;
    struct slot_cmd d;
    struct slot_result r;
    c.session = c.op == SLOT_OP_SESSION_OPEN ? 0 : f->session;
    c.seq = c.op == SLOT_OP_SESSION_OPEN ? 0 : ++f->seq;
    mp_buf_init(&b);
    slot_cmd_encode(&b, &c);
    CHECK_EQ(slot_cmd_decode_buf(b.data, b.len, &d), SLOT_OK);
    ledger_apply(f->l, T0, &d, 1, &r);
    mp_buf_free(&b);
    return r;
}

static struct slot_str str(const char *s)
{
    return (struct slot_str){s, (uint32_t)strlen(s)};
}

static void hold(struct fx *f, const char *pool, unsigned patient)
{
    char name[32];
    snprintf(name, sizeof name, "patient-%u", patient);
    struct slot_cmd c = {.op = SLOT_OP_HOLD};
    c.u.hold.pool = str(pool);
    c.u.hold.patient = str(name);
    c.u.hold.channel = str("app");
    c.u.hold.ttl_ms = 60000;
    CHECK_EQ(apply(f, c).code, SLOT_OK);
}

static void readyCb(struct snapfork *s, int status)
{
    struct fx *f = s->data;
    f->ready_calls++;
    f->ready_status = status;
}

static void closedCb(uv_handle_t *h)
{
    struct fx *f = h->data;
    f->closed++;
}

/* A ledger with two pools and holds in them, and a snapfork on a loop. */
static void fx_init(struct fx *f, unsigned holds)
{
    memset(f, 0, sizeof *f);
    CHECK_EQ(uv_loop_init(&f->loop), 0);
    f->l = ledger_create();
    CHECK(f->l != NULL);
    f->session = apply(f, (struct slot_cmd){.op = SLOT_OP_SESSION_OPEN}).a;
    CHECK(f->session != 0);
    const char *pools[] = {"h1/cardio/am", "h1/derm/pm"};
    for (int p = 0; p < 2; p++) {
        struct slot_cmd c = {.op = SLOT_OP_POOL_CREATE};
        c.u.pool.pool = str(pools[p]);
        c.u.pool.capacity = 100000;
        c.u.pool.kind = SLOT_KIND_EXPERT;
        c.u.pool.fee_cents = 5000;
        CHECK_EQ(apply(f, c).code, SLOT_OK);
    }
    for (unsigned i = 0; i < holds; i++) {
        hold(f, pools[i % 2], i);
    }
    snapfork_init(&f->s, &f->loop, readyCb, f);
}

/* Runs the loop until the child reported, bounded (10 s). */
static void wait_ready(struct fx *f)
{
    for (int i = 0; i < 10000 && f->ready_calls == 0; i++) {
        uv_run(&f->loop, UV_RUN_ONCE);
    }
    CHECK_EQ(f->ready_calls, 1);
}

static void fx_close(struct fx *f)
{
    snapfork_close(&f->s, closedCb);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    CHECK_EQ(f->closed, 1);
    CHECK_EQ(uv_loop_close(&f->loop), 0);
    ledger_destroy(f->l);
}

/* The child's snapshot decodes to the ledger as it was at the fork, not as
 * the parent changed it while the child was encoding. */
static void test_snapshot_is_the_ledger_at_fork(void)
{
    struct fx f;
    fx_init(&f, 20000);
    uint64_t at_fork = ledger_state_hash(f.l);
    CHECK_EQ(snapfork_start(&f.s, f.l, &f.buf), 0);
    CHECK_EQ(f.s.state, SNAPFORK_RUNNING);
    CHECK(f.buf.base == NULL);
    for (unsigned i = 20000; i < 25000; i++) {
        hold(&f, "h1/derm/pm", i);
    }
    CHECK(ledger_state_hash(f.l) != at_fork);
    wait_ready(&f);
    CHECK_EQ(f.ready_status, 0);
    CHECK_EQ(f.s.state, SNAPFORK_READY);
    CHECK(f.buf.base != NULL && f.buf.len == f.s.last_bytes);
    CHECK_EQ(f.s.taken, 1);
    struct ledger *back;
    CHECK_EQ(fsm_snapshot_decode(f.buf.base, f.buf.len, &back), 0);
    CHECK(ledger_state_hash(back) == at_fork);
    /* The same bytes as encoding that state inline. */
    struct raft_buffer inline_buf;
    CHECK_EQ(fsm_snapshot_encode(back, &inline_buf), 0);
    CHECK(inline_buf.len == f.buf.len &&
          memcmp(inline_buf.base, f.buf.base, f.buf.len) == 0);
    raft_free(inline_buf.base);
    ledger_destroy(back);
    snapfork_release(&f.s);
    CHECK(f.buf.base == NULL && f.s.state == SNAPFORK_IDLE);
    fx_close(&f);
}

/* After release a second snapshot can start, and sees the new state. */
static void test_second_snapshot(void)
{
    struct fx f;
    fx_init(&f, 100);
    CHECK_EQ(snapfork_start(&f.s, f.l, &f.buf), 0);
    wait_ready(&f);
    snapfork_release(&f.s);
    hold(&f, "h1/cardio/am", 5000);
    uint64_t now = ledger_state_hash(f.l);
    f.ready_calls = 0;
    CHECK_EQ(snapfork_start(&f.s, f.l, &f.buf), 0);
    wait_ready(&f);
    CHECK_EQ(f.ready_status, 0);
    struct ledger *back;
    CHECK_EQ(fsm_snapshot_decode(f.buf.base, f.buf.len, &back), 0);
    CHECK(ledger_state_hash(back) == now);
    ledger_destroy(back);
    CHECK_EQ(f.s.taken, 2);
    snapfork_release(&f.s);
    fx_close(&f);
}

/* Cancel kills and reaps the child; ready_cb never runs. */
static void test_cancel_kills_the_child(void)
{
    struct fx f;
    fx_init(&f, 50000);
    CHECK_EQ(snapfork_start(&f.s, f.l, &f.buf), 0);
    pid_t child = f.s._pid;
    CHECK(child > 0);
    snapfork_cancel(&f.s);
    CHECK_EQ(f.s.state, SNAPFORK_IDLE);
    /* Reaped: no such child any more. */
    CHECK(waitpid(child, NULL, WNOHANG) < 0 && errno == ECHILD);
    for (int i = 0; i < 20; i++) {
        uv_run(&f.loop, UV_RUN_NOWAIT);
    }
    CHECK_EQ(f.ready_calls, 0);
    CHECK(f.buf.base == NULL);
    fx_close(&f);
}

/* Closing with a child running cancels it first. */
static void test_close_while_running(void)
{
    struct fx f;
    fx_init(&f, 50000);
    CHECK_EQ(snapfork_start(&f.s, f.l, &f.buf), 0);
    pid_t child = f.s._pid;
    fx_close(&f);
    CHECK(waitpid(child, NULL, WNOHANG) < 0 && errno == ECHILD);
    CHECK_EQ(f.ready_calls, 0);
}

/* A child that dies is reported as a failure, not as a snapshot. */
static void test_child_killed_is_a_failure(void)
{
    struct fx f;
    fx_init(&f, 50000);
    CHECK_EQ(snapfork_start(&f.s, f.l, &f.buf), 0);
    CHECK_EQ(kill(f.s._pid, SIGKILL), 0);
    wait_ready(&f);
    CHECK_EQ(f.ready_status, RAFT_IOERR);
    CHECK_EQ(f.s.state, SNAPFORK_IDLE);
    CHECK(f.buf.base == NULL);
    CHECK_EQ(f.s.taken, 0);
    fx_close(&f);
}

static const struct check_case cases[] = {
    {"snapshot_is_the_ledger_at_fork", test_snapshot_is_the_ledger_at_fork},
    {"second_snapshot", test_second_snapshot},
    {"cancel_kills_the_child", test_cancel_kills_the_child},
    {"close_while_running", test_close_while_running},
    {"child_killed_is_a_failure", test_child_killed_is_a_failure},
    {NULL, NULL}};

int main(int argc, char **argv)
{
    return check_main(cases, argc, argv);
}
