/* NipBox's line editor: turns console bytes into one line, telling the terminal what to show
 * as it goes (echo, erase). Pure: no console, no globals; the shell feeds it the bytes it reads
 * and the host tests feed it theirs. A line longer than the buffer is refused whole at Enter,
 * never cut. */
#ifndef NIPBOX_LINE_EDIT_H
#define NIPBOX_LINE_EDIT_H

#include <stdbool.h>
#include <stddef.h>

enum line_status {
    LINE_PENDING,   /* more bytes needed */
    LINE_READY,     /* Enter: buf holds the line, NUL-terminated */
    LINE_CANCELLED, /* Ctrl-C: the line was abandoned */
    LINE_TOO_LONG,  /* Enter on a line of more than size - 1 bytes: it must not run */
};

struct line_edit {
    char *buf;
    size_t size; /* a line holds at most size - 1 bytes */
    size_t len;
    bool too_long;    /* bytes were typed past the end: the line is refused at Enter */
    bool last_was_cr; /* kept across lines: the LF of a CR LF pair is not an empty line */
    unsigned char esc;
    void (*echo)(const char *s, size_t n); /* what the terminal shows */
};

void line_edit_init(struct line_edit *e, char *buf, size_t size,
                    void (*echo)(const char *s, size_t n));
/* Starts the next line (the CR LF state carries over). */
void line_edit_clear(struct line_edit *e);
/* Feeds one byte. */
enum line_status line_edit_feed(struct line_edit *e, unsigned char c);

#endif
