/* NipBox's fiber commands: `run` starts an embedded user program (in the foreground, where
 * Ctrl-C ends it, or in the background with -b) with the block capabilities named by -c (slots
 * 0, 1, ... in order), `ps` lists the fibers, `kill` ends one. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <caps/cspace.h>
#include <dispatch/dispatch.h>
#include <kernel/fiber.h>
#include <kernel/kernel.h>
#include <kernel/programs.h>
#include <nipbox.h>
#include <valve.h>

#define POLL_NS 10000000ull /* the foreground wait looks at Ctrl-C this often */

static void list_programs(void)
{
    printf("programs:");
    for (const struct user_image *u = user_images; u->name; u++)
        printf(" %s", u->name);
    printf("\n");
}

#define RUN_CAPS_MAX 8

/* "blk0", "blk0:r", "blk0:rw", "blk0:rwg": the device name (cut at ':') and the rights. */
static int parse_cap(char *spec, uint8_t *rights)
{
    char *colon = strchr(spec, ':');
    const char *r = colon ? colon + 1 : "rw";

    *rights = 0;
    if (colon)
        *colon = '\0';
    for (; *r; r++) {
        uint8_t bit = *r == 'r' ? CAP_R : *r == 'w' ? CAP_W : *r == 'g' ? CAP_G : 0;
        if (!bit || (*rights & bit))
            return -EINVAL;
        *rights |= bit;
    }
    return *rights ? 0 : -EINVAL;
}

static int cmd_run(int argc, char **argv)
{
    bool background = false;
    char *caps[RUN_CAPS_MAX];
    unsigned ncaps = 0;
    int first = 1;

    for (; first < argc && argv[first][0] == '-'; first++) {
        if (strcmp(argv[first], "-b") == 0) {
            background = true;
        } else if (strcmp(argv[first], "-c") == 0 && first + 1 < argc && ncaps < RUN_CAPS_MAX) {
            caps[ncaps++] = argv[++first];
        } else {
            printf("run: unknown option %s\n", argv[first]);
            return -EINVAL;
        }
    }
    if (argc <= first) {
        printf("usage: run [-b] [-c <dev>[:r|:rw|:rwg]]... <program> [args...]\n");
        list_programs();
        return -EINVAL;
    }
    uint8_t rights[RUN_CAPS_MAX];
    for (unsigned i = 0; i < ncaps; i++) {
        if (parse_cap(caps[i], &rights[i])) {
            printf("run: bad capability %s (want <dev>, <dev>:r, <dev>:rw or <dev>:rwg)\n",
                   caps[i]);
            return -EINVAL;
        }
        if (block_find(caps[i]) < 0) {
            printf("run: no block device named %s\n", caps[i]);
            return -ENODEV;
        }
    }
    int id = program_start(argc - first, (const char *const *)&argv[first]);
    if (id == -ENOENT) {
        printf("run: no program named %s\n", argv[first]);
        list_programs();
        return id;
    }
    if (id < 0) {
        printf("run: %s: cannot start (%s)\n", argv[first],
               id == -ENOEXEC  ? "not a valid program image"
               : id == -EAGAIN ? "no free fiber"
                               : "out of memory");
        return id;
    }
    /* The new fiber has not run yet: the shell is a kernel fiber and keeps the CPU until it
     * sleeps, so the capabilities are in place before the program's first instruction. */
    for (unsigned i = 0; i < ncaps; i++) {
        int slot = dispatch_grant_block((unsigned)id, caps[i], rights[i]);
        if (slot < 0) {
            printf("run: cannot give %s to %s (%s)\n", caps[i], argv[first],
                   slot == -ENOSPC ? "capability space full" : "out of capabilities");
            fiber_kill((unsigned)id);
        }
    }
    if (background) {
        fiber_detach((unsigned)id);
        printf("run: %s is fiber %d\n", argv[first], id);
        return 0;
    }
    (void)nipbox_interrupted(); /* a Ctrl-C typed before this program is not for it */
    while (!fiber_done((unsigned)id)) {
        if (nipbox_interrupted()) {
            fiber_kill((unsigned)id);
            printf("^C\n");
        }
        fiber_sleep(&id, time_ns() + POLL_NS);
    }
    int status = 0;
    fiber_wait((unsigned)id, &status);
    if (status)
        printf("run: %s exited with status %d\n", argv[first], status);
    return 0;
}

static int cmd_ps(int argc, char **argv)
{
    static struct fiber_info list[FIBER_MAX];
    (void)argv;

    if (argc > 1) {
        printf("usage: ps\n");
        return -EINVAL;
    }
    unsigned n = fiber_list(list, FIBER_MAX);
    printf("  id name             mode   state      cpu ms  kstack used  ustack used  caps\n");
    for (unsigned i = 0; i < n; i++) {
        const struct fiber_info *f = &list[i];
        char ustack[24] = "-";
        if (f->user)
            snprintf(ustack, sizeof(ustack), "%zu/%zu", f->ustack_used, f->ustack_size);
        printf("%4u %-16s %-6s %-8s %8llu  %5zu/%-5zu  %11s  %4u\n", f->id, f->name,
               f->user ? "user" : "kernel", fiber_state_name(f->state),
               (unsigned long long)(f->cpu_ns / 1000000u), f->kstack_used, f->kstack_size, ustack,
               dispatch_caps(f->id));
    }
    return 0;
}

static int cmd_kill(int argc, char **argv)
{
    uint64_t id;

    if (argc != 2 || nipbox_parse_uint(argv[1], FIBER_MAX - 1, &id)) {
        printf("usage: kill <fiber id>  (ps lists them)\n");
        return -EINVAL;
    }
    int rc = fiber_kill((unsigned)id);
    if (rc == -ESRCH)
        printf("kill: no fiber %llu\n", (unsigned long long)id);
    else if (rc == -EPERM)
        printf("kill: fiber %llu cannot be killed\n", (unsigned long long)id);
    else
        printf("kill: fiber %llu killed\n", (unsigned long long)id);
    return rc;
}

NIPBOX_COMMAND(run, "run", "run [-b] [-c <dev>[:r|:rw]]... <program> [args...]",
               "start a user program (Ctrl-C ends it; -b: in the background; -c: give it a "
               "block capability, slots 0, 1, ... in order)",
               cmd_run);
NIPBOX_COMMAND(ps, "ps", "ps", "fibers: id, name, mode, state, CPU time, stacks", cmd_ps);
NIPBOX_COMMAND(kill, "kill", "kill <id>", "end a fiber", cmd_kill);
