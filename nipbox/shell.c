/* NipBox, the serial shell: reads a line (line_edit.c does the editing), splits it into words and
 * runs the command registered under the first word in the nipbox_cmds linker set. It knows no
 * command by name; each command file registers its own with NIPBOX_COMMAND. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <kernel/console.h>
#include <kernel/fiber.h>
#include <kernel/init.h>
#include <kernel/kernel.h>
#include <nipbox.h>

#include "line_edit.h"

/* A line holds a whole sector's string for `dd write` with room to spare. */
#define NIPBOX_LINE_MAX 2048u
#define NIPBOX_ARGV_MAX 16

extern const struct nipbox_command __start_nipbox_cmds[], __stop_nipbox_cmds[];

/* Ctrl-C presses the console counted, as far as the shell has accounted for them (dropped ones
 * separately); and how many of those nipbox_interrupted() reported while their bytes still wait
 * in the console's buffer, so the line editor skips them. All start at zero, as the console's. */
static unsigned ctrl_c_seen, ctrl_c_dropped_seen, ctrl_c_reported;
static unsigned lost_reported; /* typed-ahead bytes the shell said were lost */

int nipbox_interrupted(void)
{
    struct console_input_stats st;
    console_input_stats(&st);
    unsigned pressed = st.ctrl_c - ctrl_c_seen, dropped = st.ctrl_c_dropped - ctrl_c_dropped_seen;
    ctrl_c_seen = st.ctrl_c;
    ctrl_c_dropped_seen = st.ctrl_c_dropped;
    ctrl_c_reported += pressed - dropped;
    return pressed > 0;
}

/* At the prompt, a Ctrl-C dropped with lost input is input lost like any other: it must not
 * interrupt the next command. */
static void forget_dropped_ctrl_c(void)
{
    struct console_input_stats st;
    console_input_stats(&st);
    ctrl_c_seen += st.ctrl_c_dropped - ctrl_c_dropped_seen;
    ctrl_c_dropped_seen = st.ctrl_c_dropped;
}

static void report_lost_input(void)
{
    struct console_input_stats st;
    console_input_stats(&st);
    printf("\nnipbox: input lost: %u bytes typed ahead did not fit the %u-byte buffer; dropped "
           "through the end of a line\n",
           st.lost_bytes - lost_reported, CONSOLE_RX_BUFFER);
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
    while (n--)
        putchar(*s++);
}

/* Reads one line into buf (NUL-terminated). Returns false when it must not run: Ctrl-C
 * abandoned it, it was longer than the buffer (refused whole, never cut), or part of it was
 * lost because too much was typed ahead (said once; what follows starts a new line). */
static bool read_line(struct line_edit *e)
{
    line_edit_clear(e);
    for (;;) {
        int c = console_getc();
        forget_dropped_ctrl_c();
        if (c == CONSOLE_INPUT_LOST) {
            report_lost_input();
            return false;
        }
        if (c == CONSOLE_CTRL_C && ctrl_c_reported > 0) { /* already delivered to a command */
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
    if (!cmd) {
        printf("nipbox: %s: command not found\n", argv[0]);
        return;
    }
    cmd->run(argc, argv);
}

static void warn_duplicates(void)
{
    /* cppcheck-suppress comparePointers ; linker-set bounds of one section */
    for (const struct nipbox_command *a = __start_nipbox_cmds; a < __stop_nipbox_cmds; a++)
        /* cppcheck-suppress comparePointers ; linker-set bounds of one section */
        for (const struct nipbox_command *b = a + 1; b < __stop_nipbox_cmds; b++)
            if (strcmp(a->name, b->name) == 0)
                printf("nipbox: command '%s' is registered twice; the first one runs\n", a->name);
}

/* The shell's fiber: reads and runs lines for as long as the machine is up. */
__attribute__((noreturn)) static void nipbox_main(void *arg)
{
    (void)arg;
    static char line[NIPBOX_LINE_MAX];
    static struct line_edit editor;
    line_edit_init(&editor, line, sizeof line, echo_bytes);
    warn_duplicates();
    /* cppcheck-suppress comparePointers ; linker-set bounds of one section */
    unsigned n_commands = (unsigned)(__stop_nipbox_cmds - __start_nipbox_cmds);
    printf("NipBox: %u commands; 'help' lists them\n", n_commands);
    for (;;) {
        fputs("nipbox> ", stdout);
        if (read_line(&editor))
            run_line(line);
    }
}
/* The last init hook starts the shell as a kernel fiber; kmain's idle loop then runs it. */
static int nipbox_start(void)
{
    int id = fiber_spawn_kernel("nipbox", nipbox_main, NULL);
    return id < 0 ? id : 0;
}
KERNEL_INIT(INIT_SHELL, nipbox_start);
