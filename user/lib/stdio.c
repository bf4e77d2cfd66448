/* The C library's standard streams for a user program: stdout buffers a line (or 128 bytes) and
 * hands it to the kernel with one write; stdin reads the console a byte at a time. */
#include <stdio.h>

#include <nexus.h>

static char out_buf[128];
static size_t out_len;

static int out_flush(FILE *f)
{
    (void)f;
    if (out_len && nexus_write(out_buf, out_len) < 0)
        return EOF;
    out_len = 0;
    return 0;
}

static int out_put(char c, FILE *f)
{
    out_buf[out_len++] = c;
    if (c == '\n' || out_len == sizeof(out_buf))
        return out_flush(f) ? EOF : (unsigned char)c;
    return (unsigned char)c;
}

static int in_get(FILE *f)
{
    char c;
    (void)f;
    return nexus_read(&c, 1) == 1 ? (unsigned char)c : EOF;
}

static FILE streams = FDEV_SETUP_STREAM(out_put, in_get, out_flush, _FDEV_SETUP_RW);
FILE *const stdin = &streams;
FILE *const stdout = &streams;
FILE *const stderr = &streams;

void _exit(int status);
void _exit(int status)
{
    fflush(stdout);
    nexus_exit(status);
}
