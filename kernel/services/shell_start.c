/* Boot's last step (the INIT_SHELL hook): a kernel fiber, init, mounts the first disk that holds
 * NexFS (nexfsd, a user program), then starts NipBox, the shell, as a user fiber and gives it its
 * capabilities before its first instruction: the machine (power, naming objects for the programs it
 * starts, ending fibers), and read/write/grant on every block device (what `dd` uses; a disk NexFS
 * mounts is taken from it and given back at the unmount) and every network interface. When the
 * shell ends (a crash in it, or `exit`), init says so and starts a new one: the machine is never
 * left without a shell. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <caps/cspace.h>
#include <dispatch/dispatch.h>
#include <kernel/fiber.h>
#include <kernel/init.h>
#include <kernel/kernel.h>
#include <kernel/platform.h>
#include <kernel/programs.h>
#include <net/netif.h>
#include <valve.h>

#define SHELL_RIGHTS (CAP_R | CAP_W | CAP_G)

static volatile int shell_id = -1;

static int give(unsigned id, const char *name)
{
    int slot = dispatch_grant(id, name, SHELL_RIGHTS);
    if (slot < 0 && slot != -EBUSY)
        printf("init: cannot give %s to the shell (error %d)\n", name, slot);
    return slot;
}

static int start_shell(void)
{
    static const char *const argv[] = {"nipbox"};
    int id = program_start(1, argv);

    if (id < 0) {
        printf("init: cannot start nipbox (error %d)\n", id);
        return id;
    }
    /* The shell has not run yet: init is a kernel fiber and keeps the CPU until it sleeps. */
    give((unsigned)id, "machine");
    for (unsigned i = 0; i < block_count(); i++) {
        struct block_info info;
        int dev = block_at(i);
        if (dev >= 0 && block_info(&block_kernel, (unsigned)dev, &info) == 0)
            give((unsigned)id, info.name);
    }
    for (unsigned i = 0; i < net_netif_count(); i++) {
        const struct netif *nif = net_netif_at(i);
        if (nif)
            give((unsigned)id, nif->name);
    }
    shell_id = id;
    return id;
}

/* A disk NexFS held alone is free again: the shell gets back the capability the mount took. */
static void disk_unmounted(unsigned dev)
{
    struct block_info info;
    int id = shell_id;
    if (id > 0 && !fiber_done((unsigned)id) && block_info(&block_kernel, dev, &info) == 0)
        give((unsigned)id, info.name);
}

#define PROBE_WAIT_NS (5000ull * 1000000u) /* nexfsd decides within this, or is ended */

/* Waits until nexfsd (fiber id) has mounted dev (1) or ended (0). */
static int mounted_or_ended(int id, int dev)
{
    const uint64_t deadline = time_ns() + PROBE_WAIT_NS;
    while (!fiber_done((unsigned)id) && dispatch_mounted((unsigned)dev) < 0) {
        if ((int64_t)(time_ns() - deadline) >= 0) {
            printf("init: nexfsd did not decide on blk%d in time; ended\n", dev);
            fiber_kill((unsigned)id);
            break;
        }
        uint64_t t = time_ns() + 1000000u;
        fiber_sleep(&mounted_or_ended, t);
    }
    if (dispatch_mounted((unsigned)dev) >= 0) {
        (void)fiber_detach((unsigned)id); /* it serves from now on; the kernel reaps it */
        return 1;
    }
    (void)fiber_wait((unsigned)id, NULL);
    return 0;
}

/* At boot NexFS mounts the first disk that holds it: `nexfsd -probe` on each disk in order (it
 * leaves a disk without NexFS's magic untouched and says so); nexfs=off on the command line
 * skips this (for tests that start NexFS by hand). */
static void boot_mount(void)
{
    static const char *const argv[] = {"nexfsd", "-probe"};
    char off[8];
    const char *v = cmdline_get("nexfs", off, sizeof(off));

    if (v && strcmp(v, "off") == 0) {
        printf("init: nexfs=off: no filesystem mounted at boot\n");
        return;
    }
    for (unsigned i = 0; i < block_count(); i++) {
        struct block_info info;
        int dev = block_at(i);
        if (dev < 0 || block_info(&block_kernel, (unsigned)dev, &info))
            continue;
        int id = program_start(2, argv);
        if (id < 0)
            return; /* no nexfsd in this image */
        if (dispatch_grant((unsigned)id, info.name, CAP_R | CAP_W) != 0) {
            fiber_kill((unsigned)id);
            (void)fiber_wait((unsigned)id, NULL);
            continue;
        }
        if (mounted_or_ended(id, dev))
            return;
    }
}

__attribute__((noreturn)) static void init_main(void *arg)
{
    (void)arg;
    boot_mount();
    for (;;) {
        int id = start_shell(), status = 0;
        if (id < 0 || fiber_wait((unsigned)id, &status) < 0) {
            printf("init: no shell; the machine stays up without one\n");
            for (;;)
                fiber_sleep(&init_main, 0);
        }
        printf("init: the shell ended (status %d); starting a new one\n", status);
    }
}

static int shell_start(void)
{
    dispatch_set_unmount_hook(disk_unmounted);
    int id = fiber_spawn_kernel("init", init_main, NULL);
    return id < 0 ? id : 0;
}
KERNEL_INIT(INIT_SHELL, shell_start);
