/* fanout: SSE subscribers on one libuv loop (see fanout.h).
 *
 * A subscriber's states:
 *
 *   connecting --(connected)--> head (request written, reading the
 *       |                        |   response head)
 *       |                        |--(200)--> events --(marker)--> finished
 *       '--(error, timeout)-------'--(else)--> gone (refused)
 *   events / finished --(closed, error event, protocol error)--> gone
 *
 * Reads go straight into the subscriber's own buffer (alloc_cb hands out
 * its free tail), whole events are parsed and the rest moved to the
 * front: no copy of the stream beyond that.
 */
#include "fanout.h"

#include <pthread.h>
#include <sys/resource.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#define CHECK_EVERY_MS 100 /* the connect deadline's timer */

enum { S_CONNECTING = 0, S_HEAD, S_EVENTS, S_FINISHED, S_GONE };

struct sub {
    struct fanout *f;
    uv_tcp_t tcp;
    uv_connect_t conn;
    uv_write_t wr;
    char req[512];
    int state;
    bool admin;
    bool counted_gone;
    bool got200;
    uint64_t prev_id; /* the last event's id (after: none yet) */
    uint64_t events;
    size_t len;
    char buf[FANOUT_BUF_BYTES];
};

struct fanout {
    struct fanout_opts o;
    uv_loop_t loop;
    uv_async_t wake; /* fanout_stop */
    uv_timer_t check;
    pthread_t thread;
    bool thread_started;
    uint64_t start_ms;
    struct sub *subs;
    _Atomic uint32_t connected, gone, finished;
    _Atomic int stop;
    char marker[80]; /* "pool":"<pool>" */
    _Atomic int marker_set;
    /* loop thread only */
    uint32_t refused, ended_early, protocol_errors;
    uint64_t gaps, order_violations;
    struct hist lag;
    char first_error[160];
    double cpu_s; /* the thread's, taken as it ends */
};

static uint64_t wallMs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void subGone(struct sub *s, int why_state, const char *why)
{
    struct fanout *f = s->f;
    if (atomic_load(&f->stop)) {
        /* fanout_stop closes everything: not an early end. */
        if (!uv_is_closing((uv_handle_t *)&s->tcp)) {
            uv_close((uv_handle_t *)&s->tcp, NULL);
        }
        return;
    }
    if (s->counted_gone) {
        return;
    }
    s->counted_gone = true;
    if (why_state == S_CONNECTING || why_state == S_HEAD) {
        f->refused++;
    } else if (why_state == S_EVENTS) {
        f->ended_early++;
    }
    if (why != NULL && f->first_error[0] == '\0' && why_state != S_FINISHED) {
        snprintf(f->first_error, sizeof f->first_error, "%s", why);
    }
    s->state = S_GONE;
    atomic_fetch_add(&f->gone, 1);
    if (!uv_is_closing((uv_handle_t *)&s->tcp)) {
        uv_close((uv_handle_t *)&s->tcp, NULL);
    }
}

/* One event block (NUL-terminated, without its blank line). */
static void onEvent(struct sub *s, char *blk, uint64_t now_ms)
{
    struct fanout *f = s->f;
    const char *id = NULL, *type = NULL, *data = NULL;
    for (char *line = blk; line != NULL && *line != '\0';) {
        char *nl = strchr(line, '\n');
        if (nl != NULL) {
            *nl = '\0';
        }
        if (strncmp(line, "id: ", 4) == 0) {
            id = line + 4;
        } else if (strncmp(line, "event: ", 7) == 0) {
            type = line + 7;
        } else if (strncmp(line, "data: ", 6) == 0) {
            data = line + 6;
        }
        line = nl != NULL ? nl + 1 : NULL;
    }
    if (type != NULL && strcmp(type, "error") == 0) {
        /* The stream's last event: its code names why. */
        char why[160];
        const char *code = data != NULL ? strstr(data, "\"code\":\"") : NULL;
        size_t n = code != NULL ? strcspn(code + 8, "\"") : 0;
        snprintf(why, sizeof why, "error event %.*s", (int)(n < 60 ? n : 60),
                 code != NULL ? code + 8 : "");
        subGone(s, s->state, why);
        return;
    }
    if (id == NULL || data == NULL) {
        return; /* retry:, a heartbeat */
    }
    uint64_t seq = strtoull(id, NULL, 10);
    if (seq <= s->prev_id) {
        f->order_violations++;
    } else if (s->admin && seq != s->prev_id + 1) {
        f->gaps += seq - s->prev_id - 1;
    }
    if (seq > s->prev_id) {
        s->prev_id = seq;
    }
    s->events++;
    const char *t = strstr(data, "\"time_ms\":");
    if (t != NULL) {
        uint64_t ev_ms = strtoull(t + 10, NULL, 10);
        uint64_t lag = now_ms > ev_ms ? now_ms - ev_ms : 0;
        hist_add(&f->lag, lag * 1000000ull);
    }
    if (s->state == S_EVENTS && atomic_load(&f->marker_set) &&
        strstr(data, f->marker) != NULL) {
        s->state = S_FINISHED;
        atomic_fetch_add(&f->finished, 1);
    }
}

static void onAlloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    (void)hint;
    struct sub *s = h->data;
    b->base = s->buf + s->len;
    b->len = sizeof s->buf - 1 - s->len;
}

static void onRead(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    (void)b;
    struct sub *s = st->data;
    struct fanout *f = s->f;
    if (n < 0) {
        subGone(s, s->state,
                n == UV_EOF ? "closed by the gateway" : uv_strerror((int)n));
        return;
    }
    s->len += (size_t)n;
    s->buf[s->len] = '\0';
    size_t at = 0;
    if (s->state == S_HEAD) {
        char *end = strstr(s->buf, "\r\n\r\n");
        if (end == NULL) {
            if (s->len + 1 >= sizeof s->buf) {
                f->protocol_errors++;
                subGone(s, S_HEAD, "response head too long");
            }
            return;
        }
        int status = 0;
        if (sscanf(s->buf, "HTTP/1.%*d %d", &status) != 1 || status != 200) {
            char why[160];
            snprintf(why, sizeof why, "status %d: %.100s", status, end + 4);
            subGone(s, S_HEAD, why);
            return;
        }
        s->state = S_EVENTS;
        s->got200 = true;
        atomic_fetch_add(&f->connected, 1);
        at = (size_t)(end - s->buf) + 4;
    }
    uint64_t now = wallMs();
    for (;;) {
        char *end = strstr(s->buf + at, "\n\n");
        if (end == NULL) {
            break;
        }
        *end = '\0';
        onEvent(s, s->buf + at, now);
        at = (size_t)(end - s->buf) + 2;
        if (s->state == S_GONE) {
            return;
        }
    }
    memmove(s->buf, s->buf + at, s->len - at);
    s->len -= at;
    s->buf[s->len] = '\0';
    if (s->len + 1 >= sizeof s->buf) {
        f->protocol_errors++;
        subGone(s, s->state, "an event longer than the buffer");
    }
}

static void onWritten(uv_write_t *w, int status)
{
    struct sub *s = w->data;
    if (status != 0) {
        subGone(s, s->state, uv_strerror(status));
    }
}

static void onConnect(uv_connect_t *c, int status)
{
    struct sub *s = c->data;
    if (s->state == S_GONE) {
        return;
    }
    if (status != 0) {
        subGone(s, S_CONNECTING, uv_strerror(status));
        return;
    }
    s->state = S_HEAD;
    uv_buf_t b = uv_buf_init(s->req, (unsigned)strlen(s->req));
    s->wr.data = s;
    int rc = uv_write(&s->wr, (uv_stream_t *)&s->tcp, &b, 1, onWritten);
    if (rc == 0) {
        rc = uv_read_start((uv_stream_t *)&s->tcp, onAlloc, onRead);
    }
    if (rc != 0) {
        subGone(s, S_HEAD, uv_strerror(rc));
    }
}

/* Connect deadline, and the stop request. */
static void onCheck(uv_timer_t *t)
{
    struct fanout *f = t->data;
    if (uv_now(&f->loop) - f->start_ms < f->o.connect_timeout_ms) {
        return;
    }
    for (uint32_t i = 0; i < f->o.n; i++) {
        struct sub *s = &f->subs[i];
        if (s->state == S_CONNECTING || s->state == S_HEAD) {
            subGone(s, s->state, "not answered within the connect timeout");
        }
    }
    uv_timer_stop(t);
}

static void onWake(uv_async_t *a)
{
    struct fanout *f = a->data;
    if (!atomic_load(&f->stop)) {
        return;
    }
    for (uint32_t i = 0; i < f->o.n; i++) {
        struct sub *s = &f->subs[i];
        if (!uv_is_closing((uv_handle_t *)&s->tcp)) {
            uv_close((uv_handle_t *)&s->tcp, NULL);
        }
    }
    uv_close((uv_handle_t *)&f->check, NULL);
    uv_close((uv_handle_t *)&f->wake, NULL);
}

static void *loopMain(void *arg)
{
    struct fanout *f = arg;
    uv_run(&f->loop, UV_RUN_DEFAULT);
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru) == 0) {
        f->cpu_s =
            (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
            (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    }
    return NULL;
}

int fanout_start(const struct fanout_opts *o, struct fanout **out)
{
    if (o->n == 0 || o->n > FANOUT_SUBSCRIBERS_MAX || o->n_tokens == 0 ||
        o->n_tokens > FANOUT_TOKENS_MAX) {
        return -1;
    }
    struct fanout *f = calloc(1, sizeof *f);
    if (f == NULL) {
        return -1;
    }
    f->o = *o;
    f->subs = calloc(o->n, sizeof *f->subs);
    struct sockaddr_in sa;
    if (f->subs == NULL || uv_ip4_addr(o->host, o->port, &sa) != 0 ||
        uv_loop_init(&f->loop) != 0) {
        free(f->subs);
        free(f);
        return -1;
    }
    hist_init(&f->lag);
    uv_async_init(&f->loop, &f->wake, onWake);
    f->wake.data = f;
    uv_timer_init(&f->loop, &f->check);
    f->check.data = f;
    f->start_ms = uv_now(&f->loop);
    uv_timer_start(&f->check, onCheck, CHECK_EVERY_MS, CHECK_EVERY_MS);
    for (uint32_t i = 0; i < o->n; i++) {
        struct sub *s = &f->subs[i];
        uint32_t k = i % o->n_tokens;
        s->f = f;
        s->admin = o->admin[k];
        s->prev_id = o->after;
        snprintf(s->req, sizeof s->req,
                 "GET /v1/events/stream?after=%llu HTTP/1.0\r\nHost: %s:%d\r\n"
                 "Authorization: Bearer %s\r\nAccept: text/event-stream\r\n"
                 "\r\n",
                 (unsigned long long)o->after, o->host, o->port, o->tokens[k]);
        uv_tcp_init(&f->loop, &s->tcp);
        s->tcp.data = s;
        s->conn.data = s;
        uv_tcp_nodelay(&s->tcp, 1);
        if (uv_tcp_connect(&s->conn, &s->tcp, (const struct sockaddr *)&sa,
                           onConnect) != 0) {
            subGone(s, S_CONNECTING, "connect refused at once");
        }
    }
    if (pthread_create(&f->thread, NULL, loopMain, f) != 0) {
        /* Nothing ran: close the handles on this thread. */
        atomic_store(&f->stop, 1);
        onWake(&f->wake);
        uv_run(&f->loop, UV_RUN_DEFAULT);
        uv_loop_close(&f->loop);
        free(f->subs);
        free(f);
        return -1;
    }
    f->thread_started = true;
    *out = f;
    return 0;
}

uint32_t fanout_connected(const struct fanout *f)
{
    return atomic_load(&f->connected);
}

uint32_t fanout_gone(const struct fanout *f)
{
    return atomic_load(&f->gone);
}

uint32_t fanout_finished(const struct fanout *f)
{
    return atomic_load(&f->finished);
}

void fanout_marker(struct fanout *f, const char *pool)
{
    snprintf(f->marker, sizeof f->marker, "\"pool\":\"%.63s\"", pool);
    atomic_store(&f->marker_set, 1);
}

void fanout_stop(struct fanout *f, struct fanout_stats *st)
{
    atomic_store(&f->stop, 1);
    uv_async_send(&f->wake);
    pthread_join(f->thread, NULL);
    uv_loop_close(&f->loop);
    memset(st, 0, sizeof *st);
    st->n = f->o.n;
    st->connected = atomic_load(&f->connected);
    st->finished = atomic_load(&f->finished);
    st->refused = f->refused;
    st->ended_early = f->ended_early;
    st->protocol_errors = f->protocol_errors;
    st->gaps = f->gaps;
    st->order_violations = f->order_violations;
    st->lag = f->lag;
    st->cpu_s = f->cpu_s;
    snprintf(st->first_error, sizeof st->first_error, "%s", f->first_error);
    bool any = false;
    for (uint32_t i = 0; i < f->o.n; i++) {
        const struct sub *s = &f->subs[i];
        if (!s->got200) {
            continue;
        }
        st->events_total += s->events;
        if (!any || s->events < st->events_min) {
            st->events_min = s->events;
        }
        if (!any || s->events > st->events_max) {
            st->events_max = s->events;
        }
        any = true;
    }
    free(f->subs);
    free(f);
}
