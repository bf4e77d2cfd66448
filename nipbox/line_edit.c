/* The line editor (see line_edit.h): Enter, backspace/DEL, Ctrl-U, Ctrl-C, tab as a space,
 * escape sequences (ESC x, ESC O x, ESC [ params final, ESC intermediates final) swallowed
 * whole; everything else printable, UTF-8 included, is kept byte for byte as typed. Backspace
 * erases a whole UTF-8 character (and the columns it took on the terminal). */
#include <stdint.h>
#include <string.h>

#include "line_edit.h"

#define KEY_CTRL_C    0x03
#define KEY_BACKSPACE 0x08
#define KEY_CTRL_U    0x15
#define KEY_ESC       0x1b
#define KEY_DEL       0x7f

enum {
    ESC_NONE,
    ESC_START, /* after ESC */
    ESC_CSI,   /* ESC [ : parameters and intermediates (0x20-0x3f) up to a final 0x40-0x7e */
    ESC_SS3,   /* ESC O : parameters (0x30-0x3f) up to one final 0x40-0x7e (F1 is ESC O P) */
    ESC_INTER, /* ESC 0x20-0x2f : more 0x20-0x2f up to a final 0x30-0x7e */
};

static void show(struct line_edit *e, const char *s)
{
    e->echo(s, strlen(s));
}

static void erase_columns(struct line_edit *e, size_t n)
{
    while (n--)
        show(e, "\b \b");
}

static bool is_continuation(unsigned char c)
{
    return (c & 0xc0) == 0x80;
}

/* Bytes a UTF-8 sequence starting with lead has (1 for anything but a lead byte). */
static size_t sequence_bytes(unsigned char lead)
{
    return lead >= 0xf0 && lead <= 0xf7 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
}

/* Bytes of the last character of the line: a lead byte with all its continuation bytes, or one
 * byte (ASCII, or a stray byte of broken UTF-8). */
static size_t last_char_bytes(const struct line_edit *e)
{
    const unsigned char *b = (const unsigned char *)e->buf;
    size_t n = 0;
    while (n < e->len && n < 3 && is_continuation(b[e->len - 1 - n]))
        n++;
    if (n > 0 && n < e->len && sequence_bytes(b[e->len - 1 - n]) == n + 1)
        return n + 1;
    return 1;
}

/* East Asian wide characters take two terminal columns. */
static bool is_wide(uint32_t cp)
{
    return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf && cp != 0x303f) ||
           (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
           (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
           (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
           (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd);
}

/* Removes the last character from the line; returns the terminal columns it took. */
static size_t drop_last_char(struct line_edit *e)
{
    size_t n = last_char_bytes(e);
    const unsigned char *p = (const unsigned char *)e->buf + e->len - n;
    e->len -= n;
    if (n == 1)
        return 1;
    uint32_t cp = p[0] & (0x7fu >> n);
    for (size_t i = 1; i < n; i++)
        cp = cp << 6 | (p[i] & 0x3fu);
    return is_wide(cp) ? 2 : 1;
}

void line_edit_init(struct line_edit *e, char *buf, size_t size,
                    void (*echo)(const char *s, size_t n))
{
    memset(e, 0, sizeof *e);
    e->buf = buf;
    e->size = size;
    e->echo = echo;
    line_edit_clear(e);
}

void line_edit_clear(struct line_edit *e)
{
    e->len = 0;
    e->too_long = false;
    e->esc = ESC_NONE;
    e->buf[0] = '\0';
}

/* Escape sequences are swallowed whole. Returns true when c was part of one. A control byte
 * (Enter, Ctrl-C...) or a non-ASCII byte ends a sequence early and is handled as usual. */
static bool escape_byte(struct line_edit *e, unsigned char c)
{
    if (e->esc == ESC_NONE)
        return false;
    if (c == KEY_ESC) {
        e->esc = ESC_START;
        return true;
    }
    if (c < 0x20 || c > 0x7e) {
        e->esc = ESC_NONE;
        return false;
    }
    switch (e->esc) {
    case ESC_START:
        e->esc = c == '[' ? ESC_CSI : c == 'O' ? ESC_SS3 : c < 0x30 ? ESC_INTER : ESC_NONE;
        break;
    case ESC_CSI:
        if (c >= 0x40)
            e->esc = ESC_NONE;
        break;
    case ESC_SS3:
        if (c < 0x30 || c >= 0x40) /* the final byte (or a stray one, dropped with it) */
            e->esc = ESC_NONE;
        break;
    default: /* ESC_INTER */
        if (c >= 0x30)
            e->esc = ESC_NONE;
        break;
    }
    return true;
}

static void insert(struct line_edit *e, unsigned char c)
{
    if (e->too_long || e->len + 1 >= e->size) {
        e->too_long = true; /* not shown, not kept: the line is refused at Enter */
        return;
    }
    e->buf[e->len++] = (char)c;
    e->echo((const char *)&c, 1);
}

enum line_status line_edit_feed(struct line_edit *e, unsigned char c)
{
    if (escape_byte(e, c))
        return LINE_PENDING;
    if (c == '\n' && e->last_was_cr) { /* the LF of a CR LF pair */
        e->last_was_cr = false;
        return LINE_PENDING;
    }
    e->last_was_cr = c == '\r';
    switch (c) {
    case '\r':
    case '\n':
        show(e, "\n");
        e->buf[e->len] = '\0';
        return e->too_long ? LINE_TOO_LONG : LINE_READY;
    case KEY_CTRL_C:
        show(e, "^C\n");
        return LINE_CANCELLED;
    case KEY_BACKSPACE:
    case KEY_DEL:
        if (e->len > 0)
            erase_columns(e, drop_last_char(e));
        return LINE_PENDING;
    case KEY_CTRL_U: {
        size_t columns = 0;
        while (e->len > 0)
            columns += drop_last_char(e);
        erase_columns(e, columns);
        line_edit_clear(e);
        return LINE_PENDING;
    }
    case KEY_ESC:
        e->esc = ESC_START;
        return LINE_PENDING;
    case '\t':
        c = ' ';
        break;
    default:
        break;
    }
    if (c >= 0x20 && c != KEY_DEL) /* printable ASCII and every byte of UTF-8 */
        insert(e, c);
    return LINE_PENDING;
}
