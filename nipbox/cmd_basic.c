/* NipBox's basic commands: help, echo, mem, uptime, poweroff, reboot, and crash (a test aid
 * that traps on purpose). Each prints its own one-line errors; none keeps state. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <kernel/boot.h>
#include <kernel/kernel.h>
#include <nipbox.h>

extern const struct nipbox_command __start_nipbox_cmds[], __stop_nipbox_cmds[];

static void help_line(const struct nipbox_command *c)
{
    printf("  %-30s %s\n", c->usage ? c->usage : c->name, c->help ? c->help : "");
}

/* Lists every command in name order (no allocation: pick the next name each round). */
static int cmd_help(int argc, char **argv)
{
    const struct nipbox_command *first = __start_nipbox_cmds, *last = __stop_nipbox_cmds;
    if (argc > 1) {
        /* cppcheck-suppress comparePointers ; linker-set bounds of one section */
        for (const struct nipbox_command *c = first; c < last; c++) {
            if (strcmp(c->name, argv[1]) == 0) {
                help_line(c);
                return 0;
            }
        }
        printf("help: %s: no such command\n", argv[1]);
        return -ENOENT;
    }
    const char *prev = NULL;
    for (;;) {
        const struct nipbox_command *next = NULL;
        /* cppcheck-suppress comparePointers ; linker-set bounds of one section */
        for (const struct nipbox_command *c = first; c < last; c++) {
            if (prev && strcmp(c->name, prev) <= 0)
                continue;
            /* NOLINTNEXTLINE(clang-analyzer-unix.cstring.NullArg): names are never NULL */
            if (!next || strcmp(c->name, next->name) < 0)
                next = c;
        }
        if (!next)
            return 0;
        help_line(next);
        prev = next->name;
    }
}

static int cmd_echo(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        printf("%s%s", i > 1 ? " " : "", argv[i]);
    printf("\n");
    return 0;
}

static int cmd_mem(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    size_t total = page_total_count(), free = page_free_count();
    printf("pages: %zu total, %zu used, %zu free (%zu KiB free)\n", total, total - free, free,
           free * (PAGE_SIZE / 1024));
    return 0;
}

static int cmd_uptime(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    uint64_t ms = time_ns() / 1000000u;
    printf("up %llu.%03llu s, %llu timer ticks\n", (unsigned long long)(ms / 1000u),
           (unsigned long long)(ms % 1000u), (unsigned long long)timer_ticks());
    return 0;
}

static int cmd_poweroff(int argc, char **argv)
{
    uint64_t code = 0;
    if (argc > 2 || (argc == 2 && nipbox_parse_uint(argv[1], 255, &code))) {
        printf("poweroff: exit code must be 0..255\n");
        return -EINVAL;
    }
    printf("poweroff: exit status %u\n", (unsigned)code);
    poweroff((int)code);
}

static int cmd_reboot(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("reboot\n");
    reboot();
}

static int cmd_crash(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    unsigned long v;
    printf("crash: loading from address 0\n");
    __asm__ volatile("ld %0, 0(zero)" : "=r"(v)::"memory");
    printf("crash: address 0 read 0x%lx and did not trap\n", v);
    return -EIO;
}

NIPBOX_COMMAND(help, "help", "help [command]", "list the commands, or show one", cmd_help);
NIPBOX_COMMAND(echo, "echo", "echo [word...]", "print the words", cmd_echo);
NIPBOX_COMMAND(mem, "mem", "mem", "page allocator: total, used and free pages", cmd_mem);
NIPBOX_COMMAND(uptime, "uptime", "uptime", "time since the machine started, timer ticks",
               cmd_uptime);
NIPBOX_COMMAND(poweroff, "poweroff", "poweroff [code]", "end QEMU with exit status code (0)",
               cmd_poweroff);
NIPBOX_COMMAND(reboot, "reboot", "reboot", "reset the machine", cmd_reboot);
NIPBOX_COMMAND(crash, "crash", "crash", "test aid: load from address 0 and trap", cmd_crash);
