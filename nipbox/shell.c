/* NipBox, the serial shell: reads a line with simple editing, splits it into words and runs the
 * command registered under the first word in the nipbox_cmds linker set. It knows no command by
 * name; each command file registers its own with NIPBOX_COMMAND. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <kernel/console.h>
#include <kernel/init.h>
#include <kernel/kernel.h>
#include <nipbox.h>

#define NIPBOX_LINE_MAX 256
#define NIPBOX_ARGV_MAX 16

#define KEY_CTRL_C    0x03
#define KEY_BACKSPACE 0x08
#define KEY_CTRL_U    0x15
#define KEY_ESC       0x1b
#define KEY_DEL       0x7f

extern const struct nipbox_command __start_nipbox_cmds[], __stop_nipbox_cmds[];

/* Ctrl-C bytes counted by the console, as far as the shell has accounted for them; and how many
 * of those nipbox_interrupted() already reported, so the line editor skips their bytes. */
static unsigned ctrl_c_seen, ctrl_c_reported;

int nipbox_interrupted(void)
{
    unsigned now = console_ctrl_c_count();
    if (now == ctrl_c_seen)
        return 0;
    ctrl_c_reported += now - ctrl_c_seen;
    ctrl_c_seen = now;
    return 1;
}

static const struct nipbox_command *find_command(const char *name)
{
    /* cppcheck-suppress comparePointers ; linker-set bounds of one section */
    for (const struct nipbox_command *c = __start_nipbox_cmds; c < __stop_nipbox_cmds; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

static void erase_chars(size_t n)
{
    while (n--)
        fputs("\b \b", stdout);
}

/* Reads one line into buf (NUL-terminated). Returns false when Ctrl-C abandoned it. */
static bool read_line(char *buf, size_t size)
{
    static bool last_was_cr;
    size_t len = 0;
    int esc = 0; /* 1 after ESC, 2 inside an ESC [ ... sequence */

    for (;;) {
        int c = console_getc();
        if (esc == 1) {
            esc = c == '[' ? 2 : 0;
            continue;
        }
        if (esc == 2) {
            if (c >= 0x40 && c <= 0x7e)
                esc = 0;
            continue;
        }
        if (c == '\n' && last_was_cr) { /* the LF of a CR LF pair */
            last_was_cr = false;
            continue;
        }
        last_was_cr = c == '\r';
        switch (c) {
        case '\r':
        case '\n':
            putchar('\n');
            buf[len] = '\0';
            return true;
        case KEY_CTRL_C:
            if (ctrl_c_reported > 0) { /* already delivered to a command */
                ctrl_c_reported--;
                continue;
            }
            ctrl_c_seen++;
            fputs("^C\n", stdout);
            return false;
        case KEY_BACKSPACE:
        case KEY_DEL:
            if (len > 0) {
                len--;
                erase_chars(1);
            }
            continue;
        case KEY_CTRL_U:
            erase_chars(len);
            len = 0;
            continue;
        case KEY_ESC:
            esc = 1;
            continue;
        case '\t':
            c = ' ';
            break;
        default:
            break;
        }
        if (c < 0x20 || c > 0x7e || len + 1 >= size)
            continue;
        buf[len++] = (char)c;
        putchar(c);
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

/* Started by the last init hook; never returns. */
__attribute__((noreturn)) static int nipbox_main(void)
{
    static char line[NIPBOX_LINE_MAX];
    warn_duplicates();
    ctrl_c_seen = console_ctrl_c_count();
    /* cppcheck-suppress comparePointers ; linker-set bounds of one section */
    unsigned n_commands = (unsigned)(__stop_nipbox_cmds - __start_nipbox_cmds);
    printf("NipBox: %u commands; 'help' lists them\n", n_commands);
    for (;;) {
        fputs("nipbox> ", stdout);
        if (read_line(line, sizeof line))
            run_line(line);
    }
}
KERNEL_INIT(INIT_SHELL, nipbox_main);
