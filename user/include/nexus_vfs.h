/* The Membrane's filesystem calls (the VFS channel, CMD_VFS_* of abi/ion.toml) through the VFS
 * capability in `slot`: the kernel forwards each to the fiber serving that endpoint (NexFS).
 * Paths are absolute ("/dir/file"). Results: >= 0, or -errno (ion_error_message names it).
 * And the server's side: serving an endpoint (SYS_EP_*). */
#ifndef NEXUS_VFS_H
#define NEXUS_VFS_H

#include <stdint.h>

#include <abi/ion.h>

/* open() flags (the values NexFS uses: Linux's) */
#define VFS_O_RDONLY 0x0000
#define VFS_O_WRONLY 0x0001
#define VFS_O_RDWR   0x0002
#define VFS_O_CREAT  0x0040
#define VFS_O_TRUNC  0x0200
#define VFS_O_APPEND 0x0400

long nexus_vfs_open(unsigned slot, const char *path, unsigned flags);
long nexus_vfs_close(unsigned slot, long fd);
long nexus_vfs_read(unsigned slot, long fd, void *buf, uint64_t len);
long nexus_vfs_write(unsigned slot, long fd, const void *buf, uint64_t len);
long nexus_vfs_stat(unsigned slot, const char *path, struct vfs_stat *st);
/* 1 and *de filled, 0 at the end of the directory. */
long nexus_vfs_readdir(unsigned slot, long fd, struct vfs_dirent *de);
long nexus_vfs_mkdir(unsigned slot, const char *path);
/* Removes a file, or an empty directory. */
long nexus_vfs_unlink(unsigned slot, const char *path);
long nexus_vfs_rename(unsigned slot, const char *from, const char *to);
long nexus_vfs_fsync(unsigned slot, long fd);
/* The filesystem's counts; every change made durable; a read-only check of the disk (the
 * server prints each finding; the result is fsck.nexfs's exit code: 0 clean, 4 problems left);
 * a clean unmount (the server ends, the disk is free again). */
long nexus_vfs_statfs(unsigned slot, struct vfs_statfs *st);
long nexus_vfs_sync(unsigned slot);
long nexus_vfs_fsck(unsigned slot);
long nexus_vfs_unmount(unsigned slot);

/* Serving: makes the endpoint this fiber serves (its number: "vfsN"), holding the disk in slot
 * disk_slot_plus_1 - 1 alone from then on (0: none; every other capability to it is revoked and
 * none can be given while the endpoint lives); takes the next command;
 * copies between the command's client's memory and this fiber's; answers it. */
long nexus_ep_serve(unsigned disk_slot_plus_1);
long nexus_ep_recv(struct ep_msg *m);
long nexus_ep_copy(uint32_t token, int to_client, uint64_t client_addr, void *own, uint64_t len);
long nexus_ep_reply(uint32_t token, long result);

#endif
