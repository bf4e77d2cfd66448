/* cmocka tests for parse_uint (abi/parse_uint.h: the shell and the kernel services share it):
 * decimal unless 0x (a leading zero is never octal), the maximum honoured without overflow, and
 * every malformed form refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <abi/parse_uint.h>

static uint64_t parse_ok(const char *s, uint64_t max)
{
    uint64_t v = 12345;
    assert_int_equal(parse_uint(s, max, &v), 0);
    return v;
}

static void refused(const char *s, uint64_t max)
{
    uint64_t v = 777;
    assert_int_equal(parse_uint(s, max, &v), -EINVAL);
    assert_int_equal(v, 777); /* untouched */
}

static void test_leading_zero_is_decimal(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("010", 255), 10);
    assert_int_equal(parse_ok("08", 255), 8);
    assert_int_equal(parse_ok("09", 255), 9);
    assert_int_equal(parse_ok("0", 255), 0);
    assert_int_equal(parse_ok("000", 255), 0);
    assert_int_equal(parse_ok("0255", 255), 255);
}

static void test_hex(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("0x10", UINT64_MAX), 16);
    assert_int_equal(parse_ok("0XfF", UINT64_MAX), 255);
    assert_int_equal(parse_ok("0x0010", UINT64_MAX), 16);
    assert_true(parse_ok("0xffffffffffffffff", UINT64_MAX) == UINT64_MAX);
    refused("0x", UINT64_MAX);
    refused("0xg", UINT64_MAX);
    refused("0x10000000000000000", UINT64_MAX);
    refused("x10", UINT64_MAX);
    refused("10h", UINT64_MAX);
}

static void test_range(void **state)
{
    (void)state;
    assert_true(parse_ok("18446744073709551615", UINT64_MAX) == UINT64_MAX);
    refused("18446744073709551616", UINT64_MAX);
    refused("99999999999999999999999", UINT64_MAX);
    assert_int_equal(parse_ok("255", 255), 255);
    refused("256", 255);
    refused("0x100", 255);
    assert_int_equal(parse_ok("0", 0), 0);
    refused("1", 0);
}

static void test_malformed(void **state)
{
    (void)state;
    refused("", 100);
    refused("-1", 100);
    refused("+1", 100);
    refused(" 1", 100);
    refused("1 ", 100);
    refused("1x", 100);
    refused("0b1", 100);
    refused("1e3", 100);
    refused("ten", 100);
    refused(NULL, 100);
    assert_int_equal(parse_uint("1", 100, NULL), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leading_zero_is_decimal),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
