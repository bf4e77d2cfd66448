/* Host tests of the date formatting every layer shares (abi/walltime.h): known instants (the
 * epoch, 2000-02-29, 2038's 32-bit rollover, 2100 which is not a leap year, the last instant a
 * 64-bit ns count reaches), the leap-year rule over 1000 years, days_from_civil and
 * civil_from_days as inverses, and every day and many instants against glibc's gmtime_r. */
#define _POSIX_C_SOURCE 200809L /* gmtime_r */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <abi/walltime.h>

#define NS 1000000000ull

static void expect_text(uint64_t ns, const char *text, const char *iso)
{
    char buf[WALLTIME_STR_LEN];
    assert_string_equal(walltime_format(ns, WALLTIME_TEXT, buf), text);
    assert_int_equal(strlen(buf) + 1, WALLTIME_STR_LEN);
    assert_string_equal(walltime_format(ns, WALLTIME_ISO8601, buf), iso);
}

static void test_known_instants(void **state)
{
    (void)state;
    expect_text(0, "1970-01-01 00:00:00 UTC", "1970-01-01T00:00:00Z");
    expect_text(NS - 1, "1970-01-01 00:00:00 UTC", "1970-01-01T00:00:00Z"); /* truncated */
    expect_text(86399 * NS, "1970-01-01 23:59:59 UTC", "1970-01-01T23:59:59Z");
    expect_text(86400 * NS, "1970-01-02 00:00:00 UTC", "1970-01-02T00:00:00Z");
    expect_text(946684799 * NS, "1999-12-31 23:59:59 UTC", "1999-12-31T23:59:59Z");
    expect_text(951827696 * NS, "2000-02-29 12:34:56 UTC", "2000-02-29T12:34:56Z");
    expect_text(978134400 * NS, "2000-12-30 00:00:00 UTC", "2000-12-30T00:00:00Z");
    expect_text(1795988758 * NS + 123, "2026-11-29 21:45:58 UTC", "2026-11-29T21:45:58Z");
    expect_text(2147483648ull * NS, "2038-01-19 03:14:08 UTC", "2038-01-19T03:14:08Z");
    expect_text(4107542399ull * NS, "2100-02-28 23:59:59 UTC", "2100-02-28T23:59:59Z");
    expect_text(4107542400ull * NS, "2100-03-01 00:00:00 UTC", "2100-03-01T00:00:00Z");
    expect_text(UINT64_MAX, "2554-07-21 23:34:33 UTC", "2554-07-21T23:34:33Z");
}

static void test_date_fields(void **state)
{
    (void)state;
    struct walltime_date d;
    walltime_to_date(951827696 * NS + 987654321, &d);
    assert_int_equal(d.year, 2000);
    assert_int_equal(d.month, 2);
    assert_int_equal(d.day, 29);
    assert_int_equal(d.hour, 12);
    assert_int_equal(d.min, 34);
    assert_int_equal(d.sec, 56);
    assert_int_equal(d.nsec, 987654321);
}

static void test_days_from_civil(void **state)
{
    (void)state;
    assert_int_equal(walltime_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(walltime_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(walltime_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(walltime_days_from_civil(2000, 2, 29), 11016);
    assert_int_equal(walltime_days_from_civil(2100, 3, 1), 47541);
    assert_int_equal(walltime_days_from_civil(2100, 3, 1) - walltime_days_from_civil(2100, 2, 28),
                     1);
    assert_int_equal(walltime_days_from_civil(1, 1, 1), -719162);
    assert_int_equal(walltime_days_from_civil(0, 3, 1), -WALLTIME_EPOCH_SHIFT);
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* February has 29 days exactly in leap years; a year has 365 or 366 days accordingly. */
static void test_leap_years(void **state)
{
    (void)state;
    int leaps = 0;
    for (int64_t y = 1600; y < 2600; y++) {
        int64_t feb = walltime_days_from_civil(y, 3, 1) - walltime_days_from_civil(y, 2, 1);
        int64_t year = walltime_days_from_civil(y + 1, 1, 1) - walltime_days_from_civil(y, 1, 1);
        assert_int_equal(feb, 28 + is_leap(y));
        assert_int_equal(year, 365 + is_leap(y));
        leaps += is_leap(y);
    }
    assert_int_equal(leaps, 243); /* 250 multiples of 4, less 1700, 1800, 1900, 2100, ..., 2500 */
}

/* civil_from_days inverts days_from_civil for every day from year -200 to 2800, and each next
 * day is the next calendar date. */
static void test_round_trip(void **state)
{
    (void)state;
    struct walltime_date prev = {0}, d;
    int64_t first = walltime_days_from_civil(-200, 1, 1),
            last = walltime_days_from_civil(2800, 1, 1);
    for (int64_t z = first; z < last; z++) {
        walltime_civil_from_days(z, &d);
        assert_in_range(d.month, 1, 12);
        assert_in_range(d.day, 1, 31);
        assert_int_equal(walltime_days_from_civil(d.year, d.month, d.day), z);
        if (z > first) {
            int next_day = d.year == prev.year && d.month == prev.month && d.day == prev.day + 1;
            int next_month = d.year == prev.year && d.month == prev.month + 1 && d.day == 1;
            int next_year = d.year == prev.year + 1 && prev.month == 12 && prev.day == 31 &&
                            d.month == 1 && d.day == 1;
            assert_true(next_day || next_month || next_year);
        }
        prev = d;
    }
}

static void expect_gmtime(uint64_t s)
{
    struct tm tm;
    time_t t = (time_t)s;
    char want[64], got[WALLTIME_STR_LEN];
    assert_non_null(gmtime_r(&t, &tm));
    snprintf(want, sizeof want, "%04d-%02d-%02d %02d:%02d:%02d UTC", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    assert_string_equal(walltime_format(s * NS, WALLTIME_TEXT, got), want);
}

/* Every day 1970..2554 at a time of day that moves, and pseudo-random instants, as glibc says. */
static void test_against_gmtime(void **state)
{
    (void)state;
    uint64_t last_day = UINT64_MAX / NS / 86400;
    for (uint64_t day = 0; day < last_day; day++)
        expect_gmtime(day * 86400 + (day * 7919) % 86400);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 100000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        expect_gmtime(x % (UINT64_MAX / NS));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_instants),  cmocka_unit_test(test_date_fields),
        cmocka_unit_test(test_days_from_civil), cmocka_unit_test(test_leap_years),
        cmocka_unit_test(test_round_trip),      cmocka_unit_test(test_against_gmtime),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
