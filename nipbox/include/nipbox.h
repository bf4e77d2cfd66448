/* NipBox commands. Each command file registers its commands with NIPBOX_COMMAND; the linker
 * gathers them in section nipbox_cmds, so adding a command never edits a list. */
#ifndef NIPBOX_H
#define NIPBOX_H

#include <stdint.h>

struct nipbox_command {
    const char *name;
    const char *usage;                 /* "dd read <sector> [count]" */
    const char *help;                  /* one line */
    int (*run)(int argc, char **argv); /* 0 = success; prints its own one-line errors */
};

#define NIPBOX_COMMAND(ident, name_, usage_, help_, fn_)                                           \
    __attribute__((                                                                                \
        used, section("nipbox_cmds"),                                                              \
        aligned(sizeof(void *)))) static const struct nipbox_command nipbox_cmd_##ident = {        \
        name_, usage_, help_, fn_}

/* Parses a decimal or 0x-hex number no larger than max into *out: 0, or -EINVAL for anything
 * else (empty, signed, spaces, trailing characters, out of range). A leading zero is decimal:
 * "010" is ten. Every command reads its numbers with this. */
int nipbox_parse_uint(const char *s, uint64_t max, uint64_t *out);

/* Ctrl-C pressed since the last call (for long-running commands such as udpecho). */
int nipbox_interrupted(void);

#endif
