/* gw_stats: statistics JSON and gauges (see gw_stats.h). */
#include "gw_stats.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "slot_prom.h"

double gw_stats_rate(const struct slotc_stats_row *r)
{
    return r->released == 0 ? 0.0 : (double)r->booked_now / (double)r->released;
}

/* The rate as a JSON number with 4 decimals: enough for a dashboard, and
 * the same bytes for the same figures. */
static void jwRate(struct gw_jw *w, const struct slotc_stats_row *r)
{
    char v[32];
    snprintf(v, sizeof v, "%.4f", gw_stats_rate(r));
    gw_jw_raw(w, v);
}

void gw_jw_stats_row(struct gw_jw *w, const struct slotc_stats_row *r)
{
    char day[11];
    slotc_day_format(r->visit_day, day);
    gw_jw_obj(w);
    gw_jw_key(w, "visit_date");
    gw_jw_str(w, day);
    gw_jw_key(w, "hospital");
    gw_jw_str(w, r->hospital);
    gw_jw_key(w, "department");
    gw_jw_str(w, r->department);
    gw_jw_key(w, "pools");
    gw_jw_u64(w, r->pools);
    gw_jw_key(w, "released");
    gw_jw_u64(w, r->released);
    gw_jw_key(w, "capacity");
    gw_jw_u64(w, r->capacity);
    gw_jw_key(w, "booked_now");
    gw_jw_u64(w, r->booked_now);
    gw_jw_key(w, "booked_total");
    gw_jw_u64(w, r->booked_total);
    gw_jw_key(w, "cancelled_total");
    gw_jw_u64(w, r->cancelled_total);
    gw_jw_key(w, "refunded_total");
    gw_jw_u64(w, r->refunded_total);
    gw_jw_key(w, "moved_total");
    gw_jw_u64(w, r->moved_total);
    gw_jw_key(w, "no_show_total");
    gw_jw_u64(w, r->no_show_total);
    gw_jw_key(w, "checked_in_total");
    gw_jw_u64(w, r->checked_in_total);
    gw_jw_key(w, "booking_rate");
    jwRate(w, r);
    gw_jw_end(w);
}

void gw_json_stats_head(struct gw_jw *w, uint32_t from, uint32_t to,
                        const char *hospital)
{
    char d[11];
    gw_jw_obj(w);
    gw_jw_key(w, "from");
    slotc_day_format(from, d);
    gw_jw_str(w, d);
    gw_jw_key(w, "to");
    slotc_day_format(to, d);
    gw_jw_str(w, d);
    gw_jw_key(w, "hospital");
    gw_jw_str(w, hospital);
    gw_jw_key(w, "rows");
    gw_jw_arr(w);
}

void gw_json_stats_tail(struct gw_jw *w, uint64_t total)
{
    gw_jw_arr_end(w);
    gw_jw_key(w, "total");
    gw_jw_u64(w, total);
    gw_jw_end(w);
}

/* ---- the reconciliation's day in the feed -------------------------------- */

#define DAY_MS        86400000ull
#define OFFSET_MAX_MS (840ull * 60000) /* UTC+14:00 */
#define OFFSET_MIN_MS (720ull * 60000) /* UTC-12:00 */

uint64_t gw_recon_day_first_ms(uint32_t day)
{
    uint64_t t = (uint64_t)day * DAY_MS;
    return t > OFFSET_MAX_MS ? t - OFFSET_MAX_MS : 0;
}

uint64_t gw_recon_day_end_ms(uint32_t day)
{
    return ((uint64_t)day + 1) * DAY_MS + OFFSET_MIN_MS;
}

bool gw_recon_start_gone(uint32_t day, uint64_t oldest_seq,
                         uint64_t oldest_time_ms)
{
    return oldest_seq > 1 && oldest_time_ms >= gw_recon_day_first_ms(day);
}

/* ---- /metrics ------------------------------------------------------------ */

static void gwPut(void *ctx, const char *s, size_t n)
{
    gw_buf_put(ctx, s, n);
}

void gw_prom_label(struct gw_buf *o, const char *s)
{
    struct slot_prom_out out = {.put = gwPut, .ctx = o};
    slot_prom_label(&out, s);
}

static void labels(struct gw_buf *o, const struct slotc_stats_row *r)
{
    char day[11];
    slotc_day_format(r->visit_day, day);
    gw_buf_puts(o, "{hospital=\"");
    gw_prom_label(o, r->hospital);
    gw_buf_puts(o, "\",department=\"");
    gw_prom_label(o, r->department);
    gw_buf_printf(o, "\",day=\"%s\"}", day);
}

enum gauge {
    G_RELEASED,
    G_CAPACITY,
    G_BOOKED_NOW,
    G_BOOKED,
    G_CANCELLED,
    G_REFUNDED,
    G_MOVED,
    G_NO_SHOW,
    G_CHECKED_IN,
    G_RATE
};
_Static_assert(G_RATE + 1 == GW_STATS_GAUGES, "GW_STATS_GAUGES");

static const struct {
    const char *name, *help;
} gauges[GW_STATS_GAUGES] = {
    {"slot_stats_released_slots",
     "Capacity of the pools released by now (their release time passed)."},
    {"slot_stats_capacity_slots", "Capacity of all the scheduled pools."},
    {"slot_stats_booked_now", "Slots booked now."},
    {"slot_stats_booked_total", "Bookings made into the pools (confirms and "
                                "moves in), over their lives."},
    {"slot_stats_cancelled_total", "Bookings cancelled by patients."},
    {"slot_stats_refunded_total", "Bookings refunded by a doctor's stoppage."},
    {"slot_stats_moved_total", "Bookings moved out to another pool."},
    {"slot_stats_no_show_total", "Bookings that ended as no-shows."},
    {"slot_stats_checked_in_total", "Bookings checked in."},
    {"slot_stats_booking_rate",
     "booked_now / released (0 when nothing is released)."},
};

static uint64_t gaugeValue(const struct slotc_stats_row *r, int g)
{
    switch (g) {
        case G_RELEASED:
            return r->released;
        case G_CAPACITY:
            return r->capacity;
        case G_BOOKED_NOW:
            return r->booked_now;
        case G_BOOKED:
            return r->booked_total;
        case G_CANCELLED:
            return r->cancelled_total;
        case G_REFUNDED:
            return r->refunded_total;
        case G_MOVED:
            return r->moved_total;
        case G_NO_SHOW:
            return r->no_show_total;
        default:
            return r->checked_in_total;
    }
}

void gw_stats_render_prom(const struct gw_stats_cache *c, uint64_t now_unix_ms,
                          struct gw_buf *o)
{
    /* Grouped by metric (the text format wants one TYPE line, then every
     * series of it): GW_STATS_GAUGES passes over at most cap rows. */
    for (int g = 0; g < GW_STATS_GAUGES; g++) {
        gw_buf_printf(o, "# HELP %s %s\n# TYPE %s gauge\n", gauges[g].name,
                      gauges[g].help, gauges[g].name);
        for (uint32_t i = 0; i < c->n; i++) {
            gw_buf_puts(o, gauges[g].name);
            labels(o, &c->rows[i]);
            if (g == G_RATE) {
                gw_buf_printf(o, " %.4f\n", gw_stats_rate(&c->rows[i]));
            } else {
                gw_buf_printf(o, " %" PRIu64 "\n", gaugeValue(&c->rows[i], g));
            }
        }
    }
    double age = c->refreshed_unix_ms == 0 ? -1.0
                 : now_unix_ms > c->refreshed_unix_ms
                     ? (double)(now_unix_ms - c->refreshed_unix_ms) / 1e3
                     : 0.0;
    gw_buf_printf(
        o,
        "# HELP slot_gateway_stats_rows Rows (hospital, department, day) of "
        "the statistics cache.\n"
        "# TYPE slot_gateway_stats_rows gauge\n"
        "slot_gateway_stats_rows %" PRIu32 "\n"
        "# HELP slot_gateway_stats_age_seconds Seconds since the statistics "
        "were read (-1: not yet).\n"
        "# TYPE slot_gateway_stats_age_seconds gauge\n"
        "slot_gateway_stats_age_seconds %.3f\n"
        "# HELP slot_gateway_stats_refreshes_total Complete statistics "
        "refreshes.\n"
        "# TYPE slot_gateway_stats_refreshes_total counter\n"
        "slot_gateway_stats_refreshes_total %" PRIu64 "\n"
        "# HELP slot_gateway_stats_errors_total Statistics refreshes that "
        "failed (the previous figures stay).\n"
        "# TYPE slot_gateway_stats_errors_total counter\n"
        "slot_gateway_stats_errors_total %" PRIu64 "\n"
        "# HELP slot_gateway_stats_dropped_total Rows left out past "
        "limits.stats_series_max, summed over refreshes.\n"
        "# TYPE slot_gateway_stats_dropped_total counter\n"
        "slot_gateway_stats_dropped_total %" PRIu64 "\n",
        c->n, age, c->refreshes_total, c->errors_total, c->dropped_total);
}
