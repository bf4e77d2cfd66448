/* NipBox's fiber commands: `run` starts an embedded user program (in the foreground, where
 * Ctrl-C ends it, or in the background with -b), `ps` lists the fibers, `kill` ends one. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <kernel/fiber.h>
#include <kernel/kernel.h>
#include <kernel/programs.h>
#include <nipbox.h>

#define POLL_NS 10000000ull /* the foreground wait looks at Ctrl-C this often */

static void list_programs(void)
{
    printf("programs:");
    for (const struct user_image *u = user_images; u->name; u++)
        printf(" %s", u->name);
    printf("\n");
}

static int cmd_run(int argc, char **argv)
{
    bool background = argc > 1 && strcmp(argv[1], "-b") == 0;
    int first = background ? 2 : 1;

    if (argc <= first) {
        printf("usage: run [-b] <program> [args...]\n");
        list_programs();
        return -EINVAL;
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
               f->caps);
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

NIPBOX_COMMAND(run, "run", "run [-b] <program> [args...]",
               "start a user program (Ctrl-C ends it; -b: in the background)", cmd_run);
NIPBOX_COMMAND(ps, "ps", "ps", "fibers: id, name, mode, state, CPU time, stacks", cmd_ps);
NIPBOX_COMMAND(kill, "kill", "kill <id>", "end a fiber", cmd_kill);
