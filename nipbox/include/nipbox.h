/* NipBox, the shell: a user program (U-mode, its own address space). Its own commands register
 * with NIPBOX_COMMAND (the linker gathers them in section nipbox_cmds, so adding one never edits
 * a list); a word that names none of them is run as the kernel's shell service of that name
 * (SYS_SERVICE: reports of kernel state, device settings, in-kernel benchmarks). */
#ifndef NIPBOX_H
#define NIPBOX_H

#include <stddef.h>
#include <stdint.h>

#include <abi/parse_uint.h>

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

/* Joins words[0..n) with single spaces into out (size bytes, room kept for `reserve` more):
 * the length, or -1 with "<who>: the text is longer than ...; nothing written" said. */
long nipbox_join(const char *who, char *const *words, int n, char *out, size_t size,
                 size_t reserve);

/* Ctrl-C pressed since the last call (for long-running commands). */
int nipbox_interrupted(void);

/* The slot of the shell's capability called `name` ("blk0") holding every right in `need`, or
 * -1. */
int nipbox_cap_slot(const char *name, unsigned need);

/* 16 bytes a line: offset, hex, ASCII (dd's and hexdump's format); a short last row. */
void nipbox_hexdump(const uint8_t *p, size_t len, uint64_t offset);

/* The filesystem the shell's file commands use: the slot of its VFS capability (made from the
 * machine capability on first use), or -1 with one line said (`who`: the command). */
int nipbox_vfs(const char *who);
/* `path` made absolute against the working directory, "." and ".." resolved, into out (PATH
 * bytes): 0, or -1 with one line said (too long). */
#define NIPBOX_PATH_MAX 1024u
int nipbox_path(const char *who, const char *path, char *out);
/* Writes len bytes at buf to the file at path (created; emptied first unless append): 0 or -1
 * with one line said. */
int nipbox_file_put(const char *who, const char *path, const void *buf, size_t len, int append);

/* Reads the whole file at path into buf (at most max bytes): its length, or -errno with the line
 * said (quiet: no line for a missing file or filesystem, for looking along a path). */
long nipbox_file_load(const char *who, const char *path, void *buf, size_t max, int quiet);

#endif
