/* NipBox's filesystem and power commands: `mount blkN` starts NexFS (nexfsd, a program of its
 * own) on a disk and waits until it serves it; `umount [vfsN]` asks it to unmount cleanly;
 * `mkfs blkN` makes a new NexFS filesystem on an unmounted disk; `poweroff` and `reboot`
 * unmount every filesystem first (the next mount finds it clean, no replay), then ask the kernel
 * (the machine service). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <abi/ion.h>
#include <ion_gen/ion_cmds.h>
#include <nexus.h>
#include <nexus_caps.h>
#include <nexus_vfs.h>
#include <nipbox.h>

#define MOUNT_WAIT_NS (10000ull * 1000000u)
#define POLL_NS       (10ull * 1000000u)
#define VFS_MAX       8u

/* The nexfsd fibers the shell started (its children, reaped after their unmount). */
static long server_of[VFS_MAX];

/* A slot holding a capability to disk `name` with read, write and grant (made if need be), or
 * -errno with the line said. */
static int disk_slot(const char *who, const char *name)
{
    int32_t holder = -1;
    int slot = nipbox_cap_slot(name, ION_RIGHT_R | ION_RIGHT_W | ION_RIGHT_G);
    if (slot >= 0)
        return slot;
    long rc = nexus_cap_mint(name, ION_RIGHT_R | ION_RIGHT_W | ION_RIGHT_G, &holder);
    if (rc == -EBUSY)
        printf("%s: %s is mounted already (vfs%d)\n", who, name, (int)holder);
    else if (rc == -ENODEV)
        printf("%s: no block device %s\n", who, name);
    else if (rc < 0)
        printf("%s: %s: %s\n", who, name, ion_error_message(rc) ? ion_error_message(rc) : "error");
    return (int)rc;
}

/* Starts args[0] as the shell's child with read and write on disk `name` in its slot 0: the
 * child's id, or -errno with the line said. */
static long start_on_disk(const char *who, const char *name, int argc, const char *const *args)
{
    int slot = disk_slot(who, name);
    if (slot < 0)
        return slot;
    struct spawn_cap cap = {(uint32_t)slot, ION_RIGHT_R | ION_RIGHT_W};
    long id = nexus_spawn(argc, args, &cap, 1);
    if (id < 0)
        printf("%s: cannot start %s (%s)\n", who, args[0],
               ion_error_message(id) ? ion_error_message(id) : "error");
    return id;
}

static int cmd_mount(int argc, char **argv)
{
    if (argc != 2 || strncmp(argv[1], "blk", 3) != 0) {
        printf("usage: mount blkN\n");
        return -EINVAL;
    }
    const char *args[] = {"nexfsd"};
    long id = start_on_disk("mount", argv[1], 1, args);
    if (id < 0)
        return (int)id;
    for (uint64_t waited = 0; waited < MOUNT_WAIT_NS; waited += POLL_NS) {
        int32_t vfs = -1;
        long st = nexus_wait_ns(id, POLL_NS);
        if (st != -ETIMEDOUT) {
            printf("mount: %s not mounted (nexfsd ended with status %ld)\n", argv[1], st);
            return -EIO;
        }
        if (nexus_cap_mint(argv[1], 0, &vfs) == -EBUSY && vfs >= 0 && (unsigned)vfs < VFS_MAX) {
            server_of[vfs] = id;
            printf("mount: %s mounted as vfs%d\n", argv[1], (int)vfs);
            return 0;
        }
    }
    (void)nexus_kill(id);
    (void)nexus_wait(id);
    printf("mount: %s: nexfsd did not mount it within 10 s; ended\n", argv[1]);
    return -ETIMEDOUT;
}

/* Unmounts vfsN cleanly: 0, or -errno with the line said; -ENODEV quietly when there is none. */
static int unmount(unsigned n, int quiet_if_none)
{
    char name[8];
    int slot;
    snprintf(name, sizeof(name), "vfs%u", n);
    slot = nipbox_cap_slot(name, ION_RIGHT_W);
    if (slot < 0) {
        long rc = nexus_cap_mint(name, ION_RIGHT_R | ION_RIGHT_W | ION_RIGHT_G, NULL);
        if (rc < 0) {
            if (!quiet_if_none)
                printf("umount: %s is not mounted\n", name);
            return -ENODEV;
        }
        slot = (int)rc;
    }
    long rc = nexus_vfs_unmount((unsigned)slot);
    if (rc < 0) {
        printf("umount: %s: %s\n", name, ion_error_message(rc) ? ion_error_message(rc) : "error");
        return (int)rc;
    }
    if (server_of[n] > 0) { /* ours: it ends now */
        (void)nexus_wait(server_of[n]);
        server_of[n] = 0;
    }
    /* Another's (init's, at boot): wait until its endpoint is gone, so what it says as it ends
     * comes before this command's answer. */
    for (unsigned i = 0; i < 500 && nexus_cap_mint(name, 0, NULL) != -ENODEV; i++)
        (void)nexus_sleep_ns(POLL_NS);
    printf("umount: %s unmounted\n", name);
    return 0;
}

static int cmd_umount(int argc, char **argv)
{
    uint64_t n = 0;
    if (argc > 2 || (argc == 2 && (strncmp(argv[1], "vfs", 3) != 0 ||
                                   parse_uint(argv[1] + 3, VFS_MAX - 1, &n)))) {
        printf("usage: umount [vfsN]  (vfs0 without one)\n");
        return -EINVAL;
    }
    return unmount((unsigned)n, 0);
}

static int cmd_mkfs(int argc, char **argv)
{
    if (argc != 2 || strncmp(argv[1], "blk", 3) != 0) {
        printf("usage: mkfs blkN  (erases the disk: a new, empty NexFS filesystem)\n");
        return -EINVAL;
    }
    const char *args[] = {"nexfs", "mkfs"};
    long id = start_on_disk("mkfs", argv[1], 2, args);
    if (id < 0)
        return (int)id;
    long st = nexus_wait(id);
    if (st)
        printf("mkfs: %s: nexfs ended with status %ld\n", argv[1], st);
    return st ? -EIO : 0;
}

/* poweroff [code] / reboot: every filesystem unmounted first, then the machine service. */
static int power(int argc, char **argv)
{
    char *machine[] = {"machine", argv[0], argc == 2 ? argv[1] : NULL, NULL};
    uint64_t code;
    if (argc > 2 ||
        (argc == 2 && (strcmp(argv[0], "reboot") == 0 || parse_uint(argv[1], 255, &code)))) {
        printf(strcmp(argv[0], "reboot") == 0 ? "usage: reboot\n"
                                              : "poweroff: exit code must be 0..255\n");
        return -EINVAL;
    }
    for (unsigned n = 0; n < VFS_MAX; n++)
        (void)unmount(n, 1);
    fflush(stdout);
    return (int)nexus_service(argc + 1, machine);
}

NIPBOX_COMMAND(mount, "mount", "mount blkN", "mount the NexFS filesystem on a disk", cmd_mount);
NIPBOX_COMMAND(umount, "umount", "umount [vfsN]", "unmount a filesystem cleanly (vfs0)",
               cmd_umount);
NIPBOX_COMMAND(mkfs, "mkfs", "mkfs blkN", "make a new NexFS filesystem on a disk (erases it)",
               cmd_mkfs);
NIPBOX_COMMAND(poweroff, "poweroff", "poweroff [code]",
               "unmount every filesystem, then end QEMU with exit status code (0)", power);
NIPBOX_COMMAND(reboot, "reboot", "reboot", "unmount every filesystem, then reset the machine",
               power);
