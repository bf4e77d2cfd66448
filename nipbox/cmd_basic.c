/* NipBox's basic commands: help (the shell's own commands and the kernel's shell services
 * together, by name), echo, and crash (a test aid: the shell faults on purpose; the kernel
 * reports the fault, ends the shell and init starts a new one). None keeps state. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <nexus.h>
#include <nipbox.h>

#define HELP_SERVICES_MAX 64u

extern const struct nipbox_command __start_nipbox_cmds[], __stop_nipbox_cmds[];

static struct service_info services[HELP_SERVICES_MAX];

static void help_line(const char *usage, const char *help)
{
    printf("  %-30s %s\n", usage, help);
}

/* The shell's command or the service called name (a NULL name: none). */
static int show_one(const char *name, unsigned n_services)
{
    /* cppcheck-suppress comparePointers ; linker-set bounds of one section */
    for (const struct nipbox_command *c = __start_nipbox_cmds; c < __stop_nipbox_cmds; c++)
        if (strcmp(c->name, name) == 0) {
            help_line(c->usage ? c->usage : c->name, c->help ? c->help : "");
            return 0;
        }
    for (unsigned i = 0; i < n_services; i++)
        if (strcmp(services[i].name, name) == 0) {
            help_line(services[i].usage, services[i].help);
            return 0;
        }
    return -ENOENT;
}

/* Lists every command in name order (no allocation: pick the next name each round). */
static int cmd_help(int argc, char **argv)
{
    unsigned n = 0;
    while (n < HELP_SERVICES_MAX && nexus_service_info(n, &services[n]) == 0)
        n++;
    if (argc > 1) {
        if (show_one(argv[1], n) == 0)
            return 0;
        printf("help: %s: no such command\n", argv[1]);
        return -ENOENT;
    }
    const char *prev = NULL;
    for (;;) {
        const char *next = NULL;
        /* cppcheck-suppress comparePointers ; linker-set bounds of one section */
        for (const struct nipbox_command *c = __start_nipbox_cmds; c < __stop_nipbox_cmds; c++)
            if ((!prev || strcmp(c->name, prev) > 0) && (!next || strcmp(c->name, next) < 0))
                next = c->name;
        for (unsigned i = 0; i < n; i++)
            if ((!prev || strcmp(services[i].name, prev) > 0) &&
                (!next || strcmp(services[i].name, next) < 0))
                next = services[i].name;
        if (!next)
            return 0;
        (void)show_one(next, n);
        prev = next;
    }
}

/* echo words [> file | >> file]: the words and a newline, on the console or into the file. */
static int cmd_echo(int argc, char **argv)
{
    static char text[2048];
    int words = argc, append = 0;

    if (argc >= 3 && (strcmp(argv[argc - 2], ">") == 0 || strcmp(argv[argc - 2], ">>") == 0)) {
        words = argc - 2;
        append = argv[argc - 2][1] == '>';
    }
    long joined = nipbox_join("echo", argv + 1, words - 1, text, sizeof(text), 1);
    if (joined < 0)
        return -E2BIG;
    size_t len = (size_t)joined;
    text[len++] = '\n';
    if (words == argc) {
        fflush(stdout);
        (void)nexus_write(text, len);
        return 0;
    }
    return nipbox_file_put("echo", argv[argc - 1], text, len, append) ? -EIO : 0;
}

static int cmd_crash(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    unsigned long v;
    printf("crash: loading from address 0\n");
    fflush(stdout);
    __asm__ volatile("ld %0, 0(zero)" : "=r"(v)::"memory");
    printf("crash: address 0 read 0x%lx and did not trap\n", v);
    return -EIO;
}

NIPBOX_COMMAND(help, "help", "help [command]", "list the commands, or show one", cmd_help);
NIPBOX_COMMAND(echo, "echo", "echo [word...] [> file | >> file]",
               "print the words, or put them in a file (>> appends)", cmd_echo);
NIPBOX_COMMAND(crash, "crash", "crash",
               "test aid: the shell loads from address 0; the kernel ends it, init starts another",
               cmd_crash);
