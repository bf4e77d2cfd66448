/* SYS_SERVICE and SYS_SERVICE_LIST (abi/syscall.h): the shell names a service and its words; the
 * kernel copies them in (checked through the fiber's page table), finds the service in the
 * service_cmds linker set and runs it in the calling fiber. Also the services that are the
 * machine's own: mem, uptime, ps, programs and machine (power off, reset). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <abi/parse_uint.h>
#include <abi/syscall.h>
#include <caps/cspace.h>
#include <dispatch/dispatch.h>
#include <kernel/boot.h>
#include <kernel/console.h>
#include <kernel/fiber.h>
#include <kernel/init.h>
#include <kernel/kernel.h>
#include <kernel/programs.h>
#include <kernel/syscall.h>
#include <kernel/vm.h>
#include <services/service.h>

#define SERVICE_ARGS_MAX 16u
#define SERVICE_TEXT_MAX 1024u /* the words' bytes, NULs included */

extern const struct service_command __start_service_cmds[], __stop_service_cmds[];

static unsigned ctrl_c_at_start;

int service_interrupted(void)
{
    struct console_input_stats st;
    console_input_stats(&st);
    return st.ctrl_c != ctrl_c_at_start;
}

static const struct service_command *find(const char *name)
{
    /* cppcheck-suppress comparePointers ; linker-set bounds of one section */
    for (const struct service_command *c = __start_service_cmds; c < __stop_service_cmds; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

/* Copies the words in: 0, -EFAULT, -E2BIG (too many or too long). */
static int copy_words(uint64_t uargv, uint64_t argc, char *text, char **argv)
{
    size_t used = 0;

    if (argc == 0 || argc > SERVICE_ARGS_MAX)
        return -E2BIG;
    for (uint64_t i = 0; i < argc; i++) {
        uint64_t p;
        if (vm_copyin(fiber_space(), &p, uargv + i * sizeof(p), sizeof(p)))
            return -EFAULT;
        argv[i] = &text[used];
        for (;; used++, p++) {
            if (used == SERVICE_TEXT_MAX)
                return -E2BIG;
            if (vm_copyin(fiber_space(), &text[used], p, 1))
                return -EFAULT;
            if (text[used] == '\0')
                break;
        }
        used++;
    }
    argv[argc] = NULL;
    return 0;
}

static long sys_service(const unsigned long a[6])
{
    /* On this fiber's kernel stack: each caller has its own words while its service runs. */
    char text[SERVICE_TEXT_MAX];
    char *argv[SERVICE_ARGS_MAX + 1];
    int rc = copy_words(a[0], a[1], text, argv);

    if (rc)
        return rc;
    const struct service_command *c = find(argv[0]);
    if (!c)
        return -ENOENT;
    struct console_input_stats st;
    console_input_stats(&st);
    ctrl_c_at_start = st.ctrl_c;
    return c->run((int)a[1], argv);
}

static long sys_service_list(const unsigned long a[6])
{
    struct service_info out;
    /* cppcheck-suppress comparePointers ; linker-set bounds of one section */
    if (a[0] >= (unsigned long)(__stop_service_cmds - __start_service_cmds))
        return -ENOENT;
    const struct service_command *c = &__start_service_cmds[a[0]];
    memset(&out, 0, sizeof(out));
    snprintf(out.name, sizeof(out.name), "%s", c->name);
    snprintf(out.usage, sizeof(out.usage), "%s", c->usage ? c->usage : c->name);
    snprintf(out.help, sizeof(out.help), "%s", c->help ? c->help : "");
    return vm_copyout(fiber_space(), a[1], &out, sizeof(out)) ? -EFAULT : 0;
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

static int cmd_programs(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("programs:");
    for (const struct user_image *u = user_images; u->name; u++)
        printf(" %s", u->name);
    printf("\n");
    return 0;
}

static int machine_allowed(const char *who)
{
    if (dispatch_holds(CAP_MACHINE, 0, CAP_W))
        return 0;
    printf("%s: permission denied (no machine capability)\n", who);
    return -EPERM;
}

/* machine poweroff [code] | machine reboot: the shell's poweroff and reboot, once it has
 * unmounted its filesystems. */
static int cmd_machine(int argc, char **argv)
{
    uint64_t code = 0;
    if (argc >= 2 && strcmp(argv[1], "reboot") == 0 && argc == 2) {
        if (machine_allowed("reboot"))
            return -EPERM;
        printf("reboot\n");
        reboot();
    }
    if (argc < 2 || strcmp(argv[1], "poweroff") != 0 || argc > 3) {
        printf("usage: machine poweroff [code] | machine reboot\n");
        return -EINVAL;
    }
    if (argc == 3 && parse_uint(argv[2], 255, &code)) {
        printf("poweroff: exit code must be 0..255\n");
        return -EINVAL;
    }
    if (machine_allowed("poweroff"))
        return -EPERM;
    printf("poweroff: exit status %u\n", (unsigned)code);
    poweroff((int)code);
}

SERVICE_COMMAND(mem, "mem", "mem", "page allocator: total, used and free pages", cmd_mem);
SERVICE_COMMAND(uptime, "uptime", "uptime", "time since the machine started, timer ticks",
                cmd_uptime);
SERVICE_COMMAND(ps, "ps", "ps", "fibers: id, name, mode, state, CPU time, stacks", cmd_ps);
SERVICE_COMMAND(programs, "programs", "programs", "the programs embedded in the kernel image",
                cmd_programs);
SERVICE_COMMAND(machine, "machine", "machine poweroff [code] | machine reboot",
                "power off (QEMU exits with code) or reset, at once (the shell's poweroff "
                "unmounts first)",
                cmd_machine);

static int services_init(void)
{
    int rc = syscall_register(SYS_SERVICE, sys_service, 0);
    rc |= syscall_register(SYS_SERVICE_LIST, sys_service_list, 0);
    return rc ? -EINVAL : 0;
}
KERNEL_INIT(INIT_SERVICES, services_init);
