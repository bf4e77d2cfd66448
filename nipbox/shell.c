/* NipBox, the serial shell, a user program: reads a line (line_edit.c does the editing), splits
 * it into words and runs the command registered under the first word in the nipbox_cmds linker
 * set, or else the kernel's shell service of that name. It knows no command by name. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <nexus.h>
#include <nexus_caps.h>
#include <nipbox.h>

#include "line_edit.h"

/* A line holds a whole sector's string for `dd write` with room to spare. */
#define NIPBOX_LINE_MAX 2048u
#define NIPBOX_ARGV_MAX 16

extern const struct nipbox_command __start_nipbox_cmds[], __stop_nipbox_cmds[];

/* Ctrl-C presses the console counted, as far as the shell has accounted for them (dropped ones
 * separately); and how many of those nipbox_interrupted() reported while their bytes still wait
 * in the console's buffer, so the line editor skips them. All start at the console's counts. */
static unsigned ctrl_c_seen, ctrl_c_dropped_seen, ctrl_c_reported;
static unsigned lost_reported; /* typed-ahead bytes the shell said were lost */

static struct console_stats console_now(void)
{
    struct console_stats st = {0};
    (void)nexus_console_stats(&st);
    return st;
}

int nipbox_interrupted(void)
{
    struct console_stats st = console_now();
    unsigned pressed = st.ctrl_c - ctrl_c_seen, dropped = st.ctrl_c_dropped - ctrl_c_dropped_seen;
    ctrl_c_seen = st.ctrl_c;
    ctrl_c_dropped_seen = st.ctrl_c_dropped;
    ctrl_c_reported += pressed - dropped;
    return pressed > 0;
}

int nipbox_cap_slot(const char *name, unsigned need)
{
    struct cap_info ci;
    for (unsigned slot = 0; slot < 32; slot++)
        if (nexus_cap_info(slot, &ci) == 0 && strcmp(ci.name, name) == 0 &&
            (ci.rights & need) == need)
            return (int)slot;
    return -1;
}

long nipbox_join(const char *who, char *const *words, int n, char *out, size_t size, size_t reserve)
{
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        size_t w = strlen(words[i]);
        if (len + (i > 0) + w + reserve > size) {
            printf("%s: the text is longer than %zu bytes; nothing written\n", who, size - reserve);
            return -1;
        }
        if (i > 0)
            out[len++] = ' ';
        memcpy(out + len, words[i], w);
        len += w;
    }
    return (long)len;
}

/* At the prompt, a Ctrl-C dropped with lost input is input lost like any other: it must not
 * interrupt the next command. */
static void forget_dropped_ctrl_c(void)
{
    struct console_stats st = console_now();
    ctrl_c_seen += st.ctrl_c_dropped - ctrl_c_dropped_seen;
    ctrl_c_dropped_seen = st.ctrl_c_dropped;
}

static void report_lost_input(void)
{
    struct console_stats st = console_now();
    printf("\nnipbox: input lost: %u bytes typed ahead did not fit the %u-byte buffer; dropped "
           "through the end of a line\n",
           st.lost_bytes - lost_reported, st.buffer);
    lost_reported = st.lost_bytes;
}

static const struct nipbox_command *find_command(const char *name)
{
    /* cppcheck-suppress comparePointers ; linker-set bounds of one section */
    for (const struct nipbox_command *c = __start_nipbox_cmds; c < __stop_nipbox_cmds; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

static void echo_bytes(const char *s, size_t n)
{
    fflush(stdout);
    (void)nexus_write(s, n);
}

/* Reads one line into buf (NUL-terminated). Returns false when it must not run: Ctrl-C
 * abandoned it, it was longer than the buffer (refused whole, never cut), or part of it was
 * lost because too much was typed ahead (said once; what follows starts a new line). */
static bool read_line(struct line_edit *e)
{
    line_edit_clear(e);
    fflush(stdout);
    for (;;) {
        long c = nexus_console_getc();
        if (c < 0)
            continue;
        forget_dropped_ctrl_c();
        if (c == CONSOLE_GETC_LOST) {
            report_lost_input();
            return false;
        }
        if (c == 0x03 && ctrl_c_reported > 0) { /* already delivered to a command */
            ctrl_c_reported--;
            continue;
        }
        switch (line_edit_feed(e, (unsigned char)c)) {
        case LINE_PENDING:
            break;
        case LINE_READY:
            return true;
        case LINE_CANCELLED:
            ctrl_c_seen++;
            return false;
        case LINE_TOO_LONG:
            printf("nipbox: line longer than %u bytes; not run\n", NIPBOX_LINE_MAX - 1);
            return false;
        }
    }
}

/* Splits line in place into words; "double quotes" group words. Returns argc, or -1 when there
 * are too many words or a quote is left open. */
static int split_words(char *line, char **argv, int max)
{
    int argc = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ')
            p++;
        if (*p == '\0')
            return argc;
        if (argc == max)
            return -1;
        char *out = p;
        argv[argc++] = out;
        bool quoted = false;
        while (*p && (quoted || *p != ' ')) {
            if (*p == '"')
                quoted = !quoted;
            else
                *out++ = *p;
            p++;
        }
        if (quoted)
            return -1;
        bool more = *p != '\0';
        *out = '\0';
        if (more)
            p++;
    }
}

static void run_line(char *line)
{
    char *argv[NIPBOX_ARGV_MAX + 1];
    int argc = split_words(line, argv, NIPBOX_ARGV_MAX);
    if (argc < 0) {
        printf("nipbox: cannot parse the line (unbalanced quote or over %d words)\n",
               NIPBOX_ARGV_MAX);
        return;
    }
    if (argc == 0)
        return;
    argv[argc] = NULL;
    const struct nipbox_command *cmd = find_command(argv[0]);
    if (cmd) {
        cmd->run(argc, argv);
        fflush(stdout);
        return;
    }
    fflush(stdout);             /* what the shell printed comes before what the service prints */
    (void)nipbox_interrupted(); /* a Ctrl-C typed before the service is not for it */
    long rc = nexus_service(argc, argv);
    (void)nipbox_interrupted(); /* one pressed while it ran was for it */
    if (rc == -ENOENT)
        printf("nipbox: %s: command not found\n", argv[0]);
    else if (rc == -E2BIG)
        printf("nipbox: %s: the words are too long for a kernel service\n", argv[0]);
}

static void warn_duplicates(void)
{
    struct service_info si;
    /* cppcheck-suppress comparePointers ; linker-set bounds of one section */
    for (const struct nipbox_command *a = __start_nipbox_cmds; a < __stop_nipbox_cmds; a++) {
        /* cppcheck-suppress comparePointers ; linker-set bounds of one section */
        for (const struct nipbox_command *b = a + 1; b < __stop_nipbox_cmds; b++)
            if (strcmp(a->name, b->name) == 0)
                printf("nipbox: command '%s' is registered twice; the first one runs\n", a->name);
        for (unsigned i = 0; nexus_service_info(i, &si) == 0; i++)
            if (strcmp(a->name, si.name) == 0)
                printf("nipbox: command '%s' is also a kernel service; the shell's runs\n",
                       a->name);
    }
}

int main(void)
{
    static char line[NIPBOX_LINE_MAX];
    static struct line_edit editor;
    struct console_stats st = console_now();
    struct service_info si;
    unsigned n_services = 0;

    ctrl_c_seen = st.ctrl_c;
    ctrl_c_dropped_seen = st.ctrl_c_dropped;
    lost_reported = st.lost_bytes;
    line_edit_init(&editor, line, sizeof line, echo_bytes);
    warn_duplicates();
    while (nexus_service_info(n_services, &si) == 0)
        n_services++;
    /* cppcheck-suppress comparePointers ; linker-set bounds of one section */
    unsigned n_own = (unsigned)(__stop_nipbox_cmds - __start_nipbox_cmds);
    printf("NipBox: %u commands; 'help' lists them\n", n_own + n_services);
    for (;;) {
        fputs("nipbox> ", stdout);
        if (read_line(&editor))
            run_line(line);
    }
}
