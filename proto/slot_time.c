/* slot_time: local calendar arithmetic (contract in slot_time.h). */
#include "slot_time.h"

#include <stdio.h>

/* Local ms since the epoch, or -1 before it (an instant near 1970 in a
 * zone east of UTC). Everything is integer arithmetic: replicas agree. */
static int64_t localMs(uint64_t utc_ms, int32_t offset_min)
{
    return (int64_t)utc_ms + (int64_t)offset_min * (int64_t)SLOT_MS_PER_MINUTE;
}

uint32_t slot_local_day(uint64_t utc_ms, int32_t offset_min)
{
    int64_t l = localMs(utc_ms, offset_min);
    return l < 0 ? 0 : (uint32_t)((uint64_t)l / SLOT_MS_PER_DAY);
}

uint32_t slot_local_minute(uint64_t utc_ms, int32_t offset_min)
{
    int64_t l = localMs(utc_ms, offset_min);
    if (l < 0) {
        return 0;
    }
    return (uint32_t)(((uint64_t)l % SLOT_MS_PER_DAY) / SLOT_MS_PER_MINUTE);
}

uint64_t slot_utc_ms_of(uint32_t day, uint32_t minute, int32_t offset_min)
{
    int64_t l = (int64_t)day * (int64_t)SLOT_MS_PER_DAY +
                (int64_t)minute * (int64_t)SLOT_MS_PER_MINUTE;
    int64_t u = l - (int64_t)offset_min * (int64_t)SLOT_MS_PER_MINUTE;
    return u < 0 ? 0 : (uint64_t)u;
}

/* Days from civil: eras of 400 years (146097 days) start on 1 March, so
 * the leap day is the last day of the "year" and month lengths from March
 * on follow (153 * m + 2) / 5. */
int64_t slot_day_from_civil(int64_t year, uint32_t month, uint32_t mday)
{
    static const uint8_t len[12] = {31, 28, 31, 30, 31, 30,
                                    31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || mday < 1 || year < 1970 || year > 9999) {
        return -1;
    }
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (mday > len[month - 1] + (month == 2 && leap ? 1u : 0u)) {
        return -1;
    }
    int64_t y = year - (month <= 2);
    int64_t era = y / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (month + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + mday - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void slot_civil_from_day(uint32_t day, int64_t *year, uint32_t *month,
                         uint32_t *mday)
{
    int64_t z = (int64_t)day + 719468;
    int64_t era = z / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *mday = (uint32_t)(doy - (153 * mp + 2) / 5 + 1);
    *month = (uint32_t)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

/* Digits [0, n) of s as a number, or -1 if any is not a digit. */
static int64_t digits(const char *s, size_t n)
{
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int64_t slot_day_parse(const char *s, size_t len)
{
    if (s == NULL || len != 10 || s[4] != '-' || s[7] != '-') {
        return -1;
    }
    int64_t y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    if (y < 0 || m < 0 || d < 0) {
        return -1;
    }
    int64_t day = slot_day_from_civil(y, (uint32_t)m, (uint32_t)d);
    return day >= 1 && day <= SLOT_DAY_MAX ? day : -1;
}

void slot_day_format(uint32_t day, char out[11])
{
    int64_t y;
    uint32_t m, d;
    slot_civil_from_day(day, &y, &m, &d);
    snprintf(out, 11, "%04d-%02u-%02u", (int)y, m, d);
}

int32_t slot_minute_parse(const char *s, size_t len)
{
    if (s == NULL || len != 5 || s[2] != ':') {
        return -1;
    }
    int64_t h = digits(s, 2), m = digits(s + 3, 2);
    if (h < 0 || m < 0 || h > 23 || m > 59) {
        return -1;
    }
    return (int32_t)(h * 60 + m);
}

void slot_minute_format(uint32_t minute, char out[6])
{
    snprintf(out, 6, "%02u:%02u", (minute / 60) % 100, minute % 60);
}
