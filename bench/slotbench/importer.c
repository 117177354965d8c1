/* importer: a schedule's templates through libslot (see importer.h). */
#include "importer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

struct imp {
    struct slotc *c;
    const struct slotc_template *tpl;
    uint32_t n, next, done;
    struct slotc_req *req;
    uint64_t *sent_ns;
    uint64_t first_ns, last_sub_ns, last_ns;
    struct importer_result *out;
    bool failed;
};

static void onImport(struct slotc_req *req);

/* Submits the next template, if any is left. */
static void submitNext(struct imp *m)
{
    if (m->next >= m->n || m->failed) {
        return;
    }
    uint32_t i = m->next++;
    struct slotc_req *req = &m->req[i];
    slotc_req_init(req);
    req->data = m;
    m->sent_ns[i] = uv_hrtime();
    if (m->first_ns == 0) {
        m->first_ns = m->sent_ns[i];
    }
    m->last_sub_ns = m->sent_ns[i];
    int rc = slotc_schedule_import(m->c, req, &m->tpl[i], onImport);
    if (rc != SLOT_OK) {
        fprintf(stderr,
                "slotbench: schedule_import %s: refused at submit: "
                "%s\n",
                m->tpl[i].id_prefix, slotc_err_name(rc));
        m->out->submit_error = rc;
        m->failed = true;
        m->n = m->next - 1; /* nothing more will be sent */
    }
}

static void onImport(struct slotc_req *req)
{
    struct imp *m = req->data;
    uint64_t now = uv_hrtime();
    uint32_t i = (uint32_t)(req - m->req);
    struct importer_result *o = m->out;
    hist_add(&o->lat, now - m->sent_ns[i]);
    o->n++;
    if (req->status >= 0 && req->status < BENCH_STATUS_MAX) {
        o->status[req->status]++;
    }
    if (req->status == SLOT_OK) {
        o->ok++;
        o->created += req->out.created;
        o->unchanged += req->out.unchanged;
    }
    m->last_ns = now;
    m->done++;
    submitNext(m);
    if (m->done >= m->n) {
        slotc_close(m->c, NULL, NULL);
    }
}

int importer_run(const char *addrs, const struct slotc_template *tpl,
                 uint32_t n, uint32_t inflight, uint32_t timeout_ms,
                 struct importer_result *out)
{
    memset(out, 0, sizeof *out);
    hist_init(&out->lat);
    if (n == 0) {
        return 0;
    }
    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0) {
        return -1;
    }
    struct imp m;
    memset(&m, 0, sizeof m);
    m.tpl = tpl;
    m.n = n;
    m.out = out;
    m.req = calloc(n, sizeof *m.req);
    m.sent_ns = calloc(n, sizeof *m.sent_ns);
    struct slotc_options o;
    slotc_options_init(&o);
    o.cluster = addrs;
    o.timeout_ms = timeout_ms;
    o.queue_max = SLOTC_QUEUE_MAX; /* every template may be in flight */
    if (m.req == NULL || m.sent_ns == NULL ||
        slotc_open(&loop, &o, &m.c) != SLOT_OK) {
        free(m.req);
        free(m.sent_ns);
        uv_loop_close(&loop);
        return -1;
    }
    uint32_t first = inflight == 0 || inflight > n ? n : inflight;
    for (uint32_t k = 0; k < first; k++) {
        submitNext(&m);
    }
    if (m.n == 0) {
        slotc_close(m.c, NULL, NULL); /* the first submit was refused */
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    out->elapsed_ns = m.last_ns > m.first_ns ? m.last_ns - m.first_ns : 0;
    out->submit_ns = m.last_sub_ns - m.first_ns;
    uv_loop_close(&loop);
    free(m.req);
    free(m.sent_ns);
    return m.failed ? -1 : 0;
}
