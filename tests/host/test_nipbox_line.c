/* cmocka tests for NipBox's line editor (nipbox/line_edit.c): bytes in, a line (or a refusal)
 * out, and exactly what the terminal was told to show. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "line_edit.h"

static char shown[16384];
static size_t shown_len;
static char buf[2048];
static struct line_edit ed;

static void echo(const char *s, size_t n)
{
    assert_true(shown_len + n < sizeof shown);
    memcpy(shown + shown_len, s, n);
    shown_len += n;
    shown[shown_len] = '\0';
}

static int setup(void **state)
{
    (void)state;
    shown_len = 0;
    shown[0] = '\0';
    line_edit_init(&ed, buf, sizeof buf, echo);
    return 0;
}

/* Feeds every byte of s; returns the status after the last one. */
static enum line_status feed(const char *s, size_t n)
{
    enum line_status st = LINE_PENDING;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(st, LINE_PENDING); /* nothing may follow the end of a line */
        st = line_edit_feed(&ed, (unsigned char)s[i]);
    }
    return st;
}

#define FEED(lit) feed(lit, sizeof(lit) - 1)

static void test_plain_line(void **state)
{
    (void)state;
    assert_int_equal(FEED("echo hi\r"), LINE_READY);
    assert_string_equal(buf, "echo hi");
    assert_string_equal(shown, "echo hi\n");
}

static void test_crlf_is_one_line_end(void **state)
{
    (void)state;
    assert_int_equal(FEED("a\r"), LINE_READY);
    line_edit_clear(&ed);
    assert_int_equal(FEED("\nb\n"), LINE_READY); /* the LF of CR LF is skipped */
    assert_string_equal(buf, "b");
    line_edit_clear(&ed);
    assert_int_equal(FEED("\n"), LINE_READY); /* a lone LF is an (empty) line */
    assert_string_equal(buf, "");
}

static void test_editing_keys(void **state)
{
    (void)state;
    assert_int_equal(FEED("abX\bc\177d\tz\r"), LINE_READY); /* \177 is DEL */
    assert_string_equal(buf, "abd z");
    line_edit_clear(&ed);
    assert_int_equal(FEED("garbage\x15kept\r"), LINE_READY);
    assert_string_equal(buf, "kept");
    line_edit_clear(&ed);
    assert_int_equal(FEED("lost\x03"), LINE_CANCELLED);
    assert_non_null(strstr(shown, "^C\n"));
    line_edit_clear(&ed);
    assert_int_equal(FEED("\b\b\x7fok\r"), LINE_READY); /* backspace on an empty line: no-op */
    assert_string_equal(buf, "ok");
}

static void test_longest_line_kept_whole(void **state)
{
    (void)state;
    char line[sizeof buf + 1];
    memset(line, 'X', sizeof buf - 1);
    line[sizeof buf - 1] = '\r';
    assert_int_equal(feed(line, sizeof buf), LINE_READY);
    assert_int_equal(strlen(buf), sizeof buf - 1);
    assert_int_equal(strspn(buf, "X"), sizeof buf - 1);
}

static void test_overlong_line_refused_whole(void **state)
{
    (void)state;
    char line[3000];
    memset(line, 'Q', sizeof line - 1);
    line[sizeof line - 1] = '\r';
    assert_int_equal(feed(line, sizeof line), LINE_TOO_LONG);
    /* Backspace does not make a refused line acceptable: what was dropped is not known. */
    line_edit_clear(&ed);
    memset(line, 'Q', sizeof buf);
    memcpy(line + sizeof buf, "\b\r", 2);
    assert_int_equal(feed(line, sizeof buf + 2), LINE_TOO_LONG);
    /* Ctrl-U starts over. */
    line_edit_clear(&ed);
    memcpy(line + sizeof buf, "\x15ok\r", 4);
    assert_int_equal(feed(line, sizeof buf + 4), LINE_READY);
    assert_string_equal(buf, "ok");
    /* The next line is not affected. */
    line_edit_clear(&ed);
    assert_int_equal(FEED("next\r"), LINE_READY);
    assert_string_equal(buf, "next");
}

static void test_escape_sequences_swallowed_whole(void **state)
{
    (void)state;
    /* F1 as ESC O P and as ESC [ 1 1 ~, arrows, Ctrl-Right, Alt-x, a charset switch ESC ( B,
     * ESC ESC [ A: nothing of them is kept or shown. */
    assert_int_equal(FEED("a\x1bOPb\x1b[11~c\x1b[Ad\x1b[1;5Ce\x1bxf\x1b(Bg\x1b\x1b[Ah\r"),
                     LINE_READY);
    assert_string_equal(buf, "abcdefgh");
    assert_string_equal(shown, "abcdefgh\n");
    line_edit_clear(&ed);
    assert_int_equal(FEED("\x1bOP\r"), LINE_READY);
    assert_string_equal(buf, "");
}

static void test_control_byte_ends_a_sequence(void **state)
{
    (void)state;
    assert_int_equal(FEED("g\x1b[\r"), LINE_READY); /* Enter inside a sequence still ends it */
    assert_string_equal(buf, "g");
    line_edit_clear(&ed);
    assert_int_equal(FEED("x\x1bO\x03"), LINE_CANCELLED);
    line_edit_clear(&ed);
    assert_int_equal(FEED("ok\r"), LINE_READY); /* no sequence state carried over */
    assert_string_equal(buf, "ok");
}

static void test_utf8_kept_byte_for_byte(void **state)
{
    (void)state;
    assert_int_equal(FEED("h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c \xf0\x9d\x84\x9e\r"), LINE_READY);
    assert_string_equal(buf, "h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c \xf0\x9d\x84\x9e");
    assert_string_equal(shown, "h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c \xf0\x9d\x84\x9e\n");
}

static void test_backspace_erases_a_whole_character(void **state)
{
    (void)state;
    /* n-tilde (2 bytes), a CJK character (3 bytes, two columns), an emoji (4 bytes, two). */
    assert_int_equal(FEED("a\xc3\xb1\x7f"), LINE_PENDING);
    assert_int_equal(ed.len, 1);
    assert_string_equal(shown + shown_len - 3, "\b \b");
    assert_int_equal(FEED("\xe4\xb8\x96\b"), LINE_PENDING);
    assert_int_equal(ed.len, 1);
    assert_string_equal(shown + shown_len - 6, "\b \b\b \b");
    assert_int_equal(FEED("\xf0\x9f\x98\x80\x7f"), LINE_PENDING);
    assert_int_equal(ed.len, 1);
    assert_int_equal(FEED("b\r"), LINE_READY);
    assert_string_equal(buf, "ab");
    /* A stray continuation byte goes one at a time; the character before it stays whole. */
    line_edit_clear(&ed);
    assert_int_equal(FEED("\xc3\xa9\xa9\x7f\r"), LINE_READY);
    assert_string_equal(buf, "\xc3\xa9");
    /* Ctrl-U erases every column: 1 + 2 + 1. */
    line_edit_clear(&ed);
    shown_len = 0;
    assert_int_equal(FEED("x\xe7\x95\x8c\xc3\xa9\x15"), LINE_PENDING);
    assert_int_equal(ed.len, 0);
    assert_string_equal(shown, "x\xe7\x95\x8c\xc3\xa9\b \b\b \b\b \b\b \b");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_plain_line, setup),
        cmocka_unit_test_setup(test_crlf_is_one_line_end, setup),
        cmocka_unit_test_setup(test_editing_keys, setup),
        cmocka_unit_test_setup(test_longest_line_kept_whole, setup),
        cmocka_unit_test_setup(test_overlong_line_refused_whole, setup),
        cmocka_unit_test_setup(test_escape_sequences_swallowed_whole, setup),
        cmocka_unit_test_setup(test_control_byte_ends_a_sequence, setup),
        cmocka_unit_test_setup(test_utf8_kept_byte_for_byte, setup),
        cmocka_unit_test_setup(test_backspace_erases_a_whole_character, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
