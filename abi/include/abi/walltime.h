/* Wall-clock time as the ABI carries it (SYS_WALLTIME: nanoseconds since 1970-01-01 00:00:00
 * UTC, 0 when the kernel has no clock) and its one conversion to a calendar date, shared by the
 * kernel, NipBox and user programs. Header-only and freestanding: no libc, no state, no leap
 * seconds (POSIX time: every day has 86,400 seconds). Proleptic Gregorian calendar. */
#ifndef ABI_WALLTIME_H
#define ABI_WALLTIME_H

#include <stdint.h>

#define WALLTIME_NS_PER_S  1000000000ull
#define WALLTIME_S_PER_DAY 86400ull
/* Days from 0000-03-01 to 1970-01-01: the calendar below counts years from March, so the leap
 * day is the last day of its year. */
#define WALLTIME_EPOCH_SHIFT 719468
#define WALLTIME_DAYS_400Y   146097 /* 400 * 365 + 97 leap days */
#define WALLTIME_DAYS_100Y   36524  /* a century whose last year is not a leap year */
#define WALLTIME_DAYS_4Y     1461   /* 4 * 365 + 1 */

/* "YYYY-MM-DD HH:MM:SS UTC" (WALLTIME_TEXT) or "YYYY-MM-DDTHH:MM:SSZ" (WALLTIME_ISO8601), NUL
 * included; years past 9999 never occur (2^64 ns is the year 2554). */
#define WALLTIME_STR_LEN 24
enum walltime_style { WALLTIME_TEXT, WALLTIME_ISO8601 };

struct walltime_date {
    int64_t year;
    unsigned month; /* 1..12 */
    unsigned day;   /* 1..31 */
    unsigned hour, min, sec;
    uint32_t nsec;
};

/* Length of month m counted from March (0 = March .. 11 = February). February is last and
 * never overrun, because the 4-year arithmetic below leaves at most 29 days for it. */
static inline unsigned walltime_month_days(unsigned m)
{
    static const uint8_t days[12] = {31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31, 29};
    return m < 12 ? days[m] : 0;
}

/* a / b rounded toward minus infinity (b > 0). */
static inline int64_t walltime_floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Days since 1970-01-01 of the date year-month-day (month 1..12, day 1..31; not range-checked
 * against the month's length: 01-32 is 02-01). Negative before 1970. */
static inline int64_t walltime_days_from_civil(int64_t year, unsigned month, unsigned day)
{
    int64_t y = month <= 2 ? year - 1 : year; /* the year counted from March */
    unsigned m = month <= 2 ? month + 9 : month - 3;
    int64_t cycle = walltime_floor_div(y, 400);
    int64_t yc = y - cycle * 400; /* 0..399 */
    int64_t d = yc * 365 + yc / 4 - yc / 100 + (int64_t)day - 1;
    for (unsigned i = 0; i < m && i < 12; i++)
        d += walltime_month_days(i);
    return cycle * WALLTIME_DAYS_400Y + d - WALLTIME_EPOCH_SHIFT;
}

/* The date of day `days` since 1970-01-01 (negative before), into d's year, month and day. */
static inline void walltime_civil_from_days(int64_t days, struct walltime_date *d)
{
    int64_t z = days + WALLTIME_EPOCH_SHIFT; /* days since 0000-03-01 */
    int64_t cycle = walltime_floor_div(z, WALLTIME_DAYS_400Y);
    int64_t r = z - cycle * WALLTIME_DAYS_400Y; /* 0 .. 146096 */
    int64_t c = r / WALLTIME_DAYS_100Y;         /* the 4th century keeps the 400-year leap day */
    if (c > 3)
        c = 3;
    r -= c * WALLTIME_DAYS_100Y;
    int64_t q = r / WALLTIME_DAYS_4Y;
    r -= q * WALLTIME_DAYS_4Y;
    int64_t y = r / 365; /* the 4th year keeps the leap day */
    if (y > 3)
        y = 3;
    r -= y * 365; /* day of the March-based year, 0 .. 365 */
    unsigned m = 0;
    while (m < 11 && r >= walltime_month_days(m))
        r -= walltime_month_days(m++);
    int64_t year = cycle * 400 + c * 100 + q * 4 + y;
    d->month = m < 10 ? m + 3 : m - 9;
    d->year = d->month <= 2 ? year + 1 : year;
    d->day = (unsigned)r + 1;
}

/* The UTC date and time of `ns` nanoseconds since 1970. */
static inline void walltime_to_date(uint64_t ns, struct walltime_date *d)
{
    uint64_t s = ns / WALLTIME_NS_PER_S;
    uint64_t sod = s % WALLTIME_S_PER_DAY;
    walltime_civil_from_days((int64_t)(s / WALLTIME_S_PER_DAY), d);
    d->hour = (unsigned)(sod / 3600);
    d->min = (unsigned)(sod / 60 % 60);
    d->sec = (unsigned)(sod % 60);
    d->nsec = (uint32_t)(ns % WALLTIME_NS_PER_S);
}

static inline char *walltime_put_digits(char *p, uint64_t v, unsigned width)
{
    for (unsigned i = width; i > 0; i--) {
        p[i - 1] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

/* Writes `ns` as text in `style` into buf (WALLTIME_STR_LEN bytes, NUL-terminated); returns buf.
 * Seconds are truncated, never rounded up. */
static inline char *walltime_format(uint64_t ns, enum walltime_style style,
                                    char buf[WALLTIME_STR_LEN])
{
    struct walltime_date d;
    char *p = buf;
    walltime_to_date(ns, &d);
    p = walltime_put_digits(p, (uint64_t)d.year, 4);
    *p++ = '-';
    p = walltime_put_digits(p, d.month, 2);
    *p++ = '-';
    p = walltime_put_digits(p, d.day, 2);
    *p++ = style == WALLTIME_ISO8601 ? 'T' : ' ';
    p = walltime_put_digits(p, d.hour, 2);
    *p++ = ':';
    p = walltime_put_digits(p, d.min, 2);
    *p++ = ':';
    p = walltime_put_digits(p, d.sec, 2);
    if (style == WALLTIME_ISO8601) {
        *p++ = 'Z';
    } else {
        *p++ = ' ';
        *p++ = 'U';
        *p++ = 'T';
        *p++ = 'C';
    }
    *p = '\0';
    return buf;
}

#endif
