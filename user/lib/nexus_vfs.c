/* The Membrane's filesystem calls and the serving side (user/include/nexus_vfs.h). */
#include <string.h>

#include <abi/syscall.h>
#include <ion_gen/ion_cmds.h>
#include <nexus.h>
#include <nexus_blk.h>
#include <nexus_vfs.h>

static long path_call(unsigned op, unsigned slot, const char *path, unsigned flags, void *out)
{
    struct VfsPath a = {.path = (uint64_t)(uintptr_t)path,
                        .len = (uint32_t)strlen(path),
                        .flags = flags,
                        .out = (uint64_t)(uintptr_t)out};
    return nexus_call(op, slot, &a, sizeof(a));
}

static long io_call(unsigned op, unsigned slot, long fd, const void *buf, uint64_t len)
{
    struct VfsIo a = {.fd = (uint32_t)fd, .buf = (uint64_t)(uintptr_t)buf, .len = len};
    return nexus_call(op, slot, &a, sizeof(a));
}

long nexus_vfs_open(unsigned slot, const char *path, unsigned flags)
{
    return path_call(CMD_VFS_OPEN, slot, path, flags, NULL);
}

long nexus_vfs_close(unsigned slot, long fd)
{
    return io_call(CMD_VFS_CLOSE, slot, fd, NULL, 0);
}

long nexus_vfs_read(unsigned slot, long fd, void *buf, uint64_t len)
{
    return io_call(CMD_VFS_READ, slot, fd, buf, len);
}

long nexus_vfs_write(unsigned slot, long fd, const void *buf, uint64_t len)
{
    return io_call(CMD_VFS_WRITE, slot, fd, buf, len);
}

long nexus_vfs_stat(unsigned slot, const char *path, struct vfs_stat *st)
{
    return path_call(CMD_VFS_STAT, slot, path, 0, st);
}

long nexus_vfs_readdir(unsigned slot, long fd, struct vfs_dirent *de)
{
    return io_call(CMD_VFS_READDIR, slot, fd, de, sizeof(*de));
}

long nexus_vfs_mkdir(unsigned slot, const char *path)
{
    return path_call(CMD_VFS_MKDIR, slot, path, 0, NULL);
}

long nexus_vfs_unlink(unsigned slot, const char *path)
{
    return path_call(CMD_VFS_UNLINK, slot, path, 0, NULL);
}

long nexus_vfs_rename(unsigned slot, const char *from, const char *to)
{
    struct VfsRename a = {.from = (uint64_t)(uintptr_t)from,
                          .to = (uint64_t)(uintptr_t)to,
                          .from_len = (uint32_t)strlen(from),
                          .to_len = (uint32_t)strlen(to)};
    return nexus_call(CMD_VFS_RENAME, slot, &a, sizeof(a));
}

long nexus_vfs_statfs(unsigned slot, struct vfs_statfs *st)
{
    return path_call(CMD_VFS_STATFS, slot, "/", 0, st);
}

long nexus_vfs_sync(unsigned slot)
{
    return nexus_call(CMD_VFS_SYNC, slot, NULL, 0);
}

long nexus_vfs_fsck(unsigned slot)
{
    return nexus_call(CMD_VFS_FSCK, slot, NULL, 0);
}

long nexus_vfs_unmount(unsigned slot)
{
    return nexus_call(CMD_VFS_UNMOUNT, slot, NULL, 0);
}

long nexus_vfs_fsync(unsigned slot, long fd)
{
    return io_call(CMD_VFS_FSYNC, slot, fd, NULL, 0);
}

long nexus_ep_serve(unsigned disk_slot_plus_1)
{
    return nexus_syscall(SYS_EP_SERVE, (long)disk_slot_plus_1, 0, 0);
}

long nexus_ep_recv(struct ep_msg *m)
{
    return nexus_syscall(SYS_EP_RECV, (long)m, 0, 0);
}

long nexus_ep_copy(uint32_t token, int to_client, uint64_t client_addr, void *own, uint64_t len)
{
    return nexus_syscall5(SYS_EP_COPY, token, to_client, (long)client_addr, (long)own, (long)len);
}

long nexus_ep_reply(uint32_t token, long result)
{
    return nexus_syscall(SYS_EP_REPLY, token, result, 0);
}
