/* gw_stats: the ledger's statistics (READ_STATS, protocol 5) as the
 * gateway shows them, and the reconciliation's bounds of a local day in
 * the feed: the JSON of GET /v1/stats, and the per (hospital,
 * department, visit day) gauges of GET /metrics, rendered from a cache
 * that the gateway refreshes in the background (gw_http_money.c) so that
 * a scrape never waits on the cluster nor costs it a read. Pure: no I/O,
 * no clock; the caller passes days and times in.
 *
 * Booking rate = booked_now / released (0 when nothing is released yet),
 * as the protocol defines it; the ledger leaves it to clients.
 */
#ifndef GW_STATS_H
#define GW_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "gw_json.h"
#include "libslot.h"

/* The visit days GET /v1/stats spans at most (the protocol's
 * SLOT_STATS_DAYS_MAX: to - from < 62). */
#define GW_STATS_DAYS_MAX 62
/* The /metrics gauges cover UTC days today - GW_STATS_METRICS_BEFORE ..
 * today + GW_STATS_METRICS_AFTER (one READ_STATS range). */
#define GW_STATS_METRICS_BEFORE 1
#define GW_STATS_METRICS_AFTER  7

/* The booking rate of a row: booked_now / released, 0 when released is
 * 0. */
double gw_stats_rate(const struct slotc_stats_row *r);

/* One row as a value: {"visit_date","hospital","department","pools",
 * "released","capacity","booked_now","booked_total","cancelled_total",
 * "refunded_total","moved_total","no_show_total","checked_in_total",
 * "booking_rate"} (visit_date "YYYY-MM-DD"; booking_rate a number
 * 0..1 with 4 decimals, more than 1 only if the ledger books more than it
 * released). Keys in that order, always all of them. */
void gw_jw_stats_row(struct gw_jw *w, const struct slotc_stats_row *r);

/* GET /v1/stats is written as its pages arrive: the head {"from","to",
 * "hospital","rows":[ (hospital "" for any), rows with gw_jw_stats_row,
 * then the tail ],"total":N}. */
void gw_json_stats_head(struct gw_jw *w, uint32_t from, uint32_t to,
                        const char *hospital);
void gw_json_stats_tail(struct gw_jw *w, uint64_t total);

/* ---- the reconciliation's day in the feed --------------------------------
 * Local day D of a hospital at UTC offset o (minutes, -720..+840 by the
 * protocol) is the UTC instants [D * 86400000 - o min, (D + 1) * 86400000
 * - o min). The feed is in ledger time order, and which hospital (offset)
 * an event belongs to is only known from the event, so the gateway reads
 * between the bounds over every offset. */

/* The earliest UTC instant of D anywhere: D * 86400000 - 14 h (0 if that
 * is before 1970). */
uint64_t gw_recon_day_first_ms(uint32_t day);
/* The UTC instant from which no event is D's anywhere: (D + 1) *
 * 86400000 + 12 h. */
uint64_t gw_recon_day_end_ms(uint32_t day);
/* Whether the feed may no longer hold D's start: it dropped events (its
 * oldest held seq is above 1) and its oldest held event (time_ms) is not
 * older than D's earliest instant, so a dropped one may have been D's. */
bool gw_recon_start_gone(uint32_t day, uint64_t oldest_seq,
                         uint64_t oldest_time_ms);

/* ---- /metrics ------------------------------------------------------------ */

/* What the last complete refresh read: rows of visit days from..to, at
 * most cap of them (the rest counted in dropped_total). The caller owns
 * rows (cap entries). */
struct gw_stats_cache {
    struct slotc_stats_row *rows;
    uint32_t n, cap;
    uint32_t day_from, day_to;  /* 0 until the first refresh */
    uint64_t refreshed_unix_ms; /* wall clock of the last refresh; 0 none */
    uint64_t refreshes_total;   /* complete refreshes */
    uint64_t errors_total;      /* refreshes that failed (cache kept) */
    uint64_t dropped_total;     /* rows past cap, summed over refreshes */
};

/* The series one row gives (its gauges). */
#define GW_STATS_GAUGES 10

/* Appends the statistics gauges to a Prometheus text page:
 *   slot_stats_released_slots, slot_stats_capacity_slots,
 *   slot_stats_booked_now, slot_stats_booked_total,
 *   slot_stats_cancelled_total, slot_stats_refunded_total,
 *   slot_stats_moved_total, slot_stats_no_show_total,
 *   slot_stats_checked_in_total, slot_stats_booking_rate
 * each {hospital="H",department="D",day="YYYY-MM-DD"} per cached row
 * (gauges: the ledger's figures as of the refresh; the *_total ones
 * count over a pool's life and fall when a pool is forgotten), and
 * slot_gateway_stats_rows, slot_gateway_stats_age_seconds (now_unix_ms
 * minus the refresh; -1 before the first), slot_gateway_stats_refreshes_
 * total, slot_gateway_stats_errors_total,
 * slot_gateway_stats_dropped_total. Label values are escaped as the text
 * format wants (backslash, double quote, newline). */
void gw_stats_render_prom(const struct gw_stats_cache *c, uint64_t now_unix_ms,
                          struct gw_buf *o);

/* A Prometheus label value: s with '\\', '"' and '\n' escaped. */
void gw_prom_label(struct gw_buf *o, const char *s);

#endif /* GW_STATS_H */
