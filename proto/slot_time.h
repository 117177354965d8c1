/* slot_time: calendar arithmetic in a hospital's local time, for the
 * ledger's date rules (release, horizon, cut-off, flow-back) and for the
 * tools that show dates.
 *
 * Hospitals state their rules in local time ("09:00 opens the day 7 days
 * ahead", "online booking for tomorrow closes at 15:00 today"). A hospital
 * has one fixed UTC offset (Beijing +08:00; China has no daylight saving
 * time), replicated in its rule set, so local time is UTC ms plus a
 * constant and every replica computes the same dates. Pure functions: no
 * clock, no time zone database, no locale.
 *
 * Days are counted from 1970-01-01 (day 0) in the proleptic Gregorian
 * calendar; a local date is valid from day 1 to SLOT_DAY_MAX.
 */
#ifndef SLOT_TIME_H
#define SLOT_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SLOT_MS_PER_MINUTE   60000ull
#define SLOT_MS_PER_DAY      86400000ull
#define SLOT_MINUTES_PER_DAY 1440u
#define SLOT_DAY_MAX         109572u /* 2269-12-31: far beyond any schedule */
#define SLOT_UTC_OFFSET_MIN  (-720)  /* UTC-12:00 */
#define SLOT_UTC_OFFSET_MAX  840     /* UTC+14:00 */

/* Local day (days since 1970-01-01) of a UTC instant. Precondition:
 * offset_min in [SLOT_UTC_OFFSET_MIN, SLOT_UTC_OFFSET_MAX]; an instant
 * whose local time falls before 1970 gives day 0. */
uint32_t slot_local_day(uint64_t utc_ms, int32_t offset_min);

/* Local minute of the day (0..1439) of a UTC instant. */
uint32_t slot_local_minute(uint64_t utc_ms, int32_t offset_min);

/* The UTC instant of local day `day` at `minute` (0..1440: 1440 is the
 * next day's midnight). A result before the epoch is clamped to 0. */
uint64_t slot_utc_ms_of(uint32_t day, uint32_t minute, int32_t offset_min);

/* Civil date <-> day number (Howard Hinnant's algorithms). from_civil
 * returns -1 for an impossible date (month 13, 31 April, 29 February of a
 * common year) or one before 1970-01-01. */
int64_t slot_day_from_civil(int64_t year, uint32_t month, uint32_t mday);
void slot_civil_from_day(uint32_t day, int64_t *year, uint32_t *month,
                         uint32_t *mday);

/* "YYYY-MM-DD" <-> day. Parsing accepts exactly that form (10 bytes) of a
 * valid date in 1..SLOT_DAY_MAX and returns the day, or -1. Formatting
 * writes 11 bytes (with the NUL) into out. */
int64_t slot_day_parse(const char *s, size_t len);
void slot_day_format(uint32_t day, char out[11]);

/* "HH:MM" <-> minute of the day (0..1439); parsing returns -1 on anything
 * else. Formatting writes 6 bytes (with the NUL). */
int32_t slot_minute_parse(const char *s, size_t len);
void slot_minute_format(uint32_t minute, char out[6]);

#endif /* SLOT_TIME_H */
