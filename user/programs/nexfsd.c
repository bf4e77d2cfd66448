/* nexfsd: NexFS serving other fibers. It mounts the disk in its slot 0 (`mount blk1` in the
 * shell; at boot, init runs `nexfsd -probe` on each disk, which leaves a disk without NexFS's
 * magic untouched and ends with status 2), makes an endpoint ("vfs0") and answers the VFS channel's
 * commands that fibers holding a VFS capability post (`run -c vfs0 fsh ls /`): the kernel forwards
 * each with the client's rights; data moves between the client's memory and this fiber's through
 * SYS_EP_COPY. Every path, length and file number from a client is checked here; a file
 * belongs to the client that opened it. Writes need the write right. */
#include <stdio.h>
#include <string.h>

#include <ion_gen/ion_cmds.h>
#include <nexfs/nexfs.h>
#include <nexfs_ion.h>
#include <nexus.h>
#include <nexus_caps.h>
#include <nexus_vfs.h>

#define CACHE    (256u * 4096u)
#define IO_MAX   (64u * 1024u) /* bytes per READ or WRITE command */
#define PATH_MAX 1024u
#define FILES    32u

static uint8_t cache[CACHE] __attribute__((aligned(4096)));
static uint8_t io[IO_MAX];
static char path[PATH_MAX + 1], path2[PATH_MAX + 1];
static struct nexfs fs;
static struct nexfs_dev dev;
static uint8_t fsck_mem[8u * 1024u * 1024u] /* disks up to about 24 MiB */ __attribute__((
    aligned(4096)));
static struct {
    int fd; /* NexFS's; -1 free */
    uint32_t client;
} files[FILES];

/* NexFS's error codes are Linux's; the ABI's are the kernel's (abi/ion.toml). */
static long ion_err(int rc)
{
    switch (-rc) {
    case NEXFS_ENOTEMPTY:
        return -ION_ENOTEMPTY;
    case NEXFS_ENAMETOOLONG:
        return -ION_ENAMETOOLONG;
    }
    return rc;
}

/* The client's path (addr, len) into buf, NUL-terminated: 0 or -errno. */
static long get_path(const struct ep_msg *m, uint64_t addr, uint64_t len, char *buf)
{
    if (len == 0 || len > PATH_MAX)
        return len ? -ION_ENAMETOOLONG : -ION_EINVAL;
    long rc = nexus_ep_copy(m->token, 0, addr, buf, len);
    if (rc < 0)
        return rc;
    buf[len] = '\0';
    return strlen(buf) == len ? 0 : -ION_EINVAL; /* no NUL inside */
}

/* The NexFS file behind the client's file number, or -EBADF. */
static int file_of(const struct ep_msg *m, uint64_t fd)
{
    return fd < FILES && files[fd].fd >= 0 && files[fd].client == m->client ? files[fd].fd
                                                                            : -ION_EBADF;
}

static long do_open(const struct ep_msg *m, const struct VfsPath *a)
{
    unsigned writes =
        NEXFS_O_WRONLY | NEXFS_O_RDWR | NEXFS_O_CREAT | NEXFS_O_TRUNC | NEXFS_O_APPEND;
    long rc = get_path(m, a->path, a->len, path);
    if (rc < 0)
        return rc;
    if ((a->flags & writes) && !(m->rights & ION_RIGHT_W))
        return -ION_EPERM;
    unsigned slot = 0;
    while (slot < FILES && files[slot].fd >= 0)
        slot++;
    if (slot == FILES)
        return -ION_EMFILE;
    int fd = nexfs_open(&fs, path, (int)a->flags, 0644);
    if (fd < 0)
        return ion_err(fd);
    files[slot].fd = fd;
    files[slot].client = m->client;
    return slot;
}

static long do_io(const struct ep_msg *m, const struct VfsIo *a)
{
    int fd = file_of(m, a->fd);
    if (fd < 0)
        return fd;
    uint64_t len = a->len < IO_MAX ? a->len : IO_MAX;
    int64_t n;
    switch (m->op) {
    case CMD_VFS_READ:
        n = nexfs_read(&fs, fd, io, len);
        if (n > 0 && nexus_ep_copy(m->token, 1, a->buf, io, (uint64_t)n) < 0)
            return -ION_EFAULT;
        return n < 0 ? ion_err((int)n) : (long)n;
    case CMD_VFS_WRITE: {
        long rc = nexus_ep_copy(m->token, 0, a->buf, io, len);
        if (rc < 0)
            return rc;
        n = nexfs_write(&fs, fd, io, len);
        return n < 0 ? ion_err((int)n) : (long)n;
    }
    case CMD_VFS_READDIR: {
        static struct nexfs_dirent de;
        struct vfs_dirent out;
        int rc = nexfs_readdir(&fs, fd, &de);
        if (rc <= 0)
            return ion_err(rc);
        memset(&out, 0, sizeof(out));
        out.ino = de.ino;
        out.mode = de.type;
        memcpy(out.name, de.name, de.name_len + 1);
        if (a->len < sizeof(out) || nexus_ep_copy(m->token, 1, a->buf, &out, sizeof(out)) < 0)
            return -ION_EFAULT;
        return 1;
    }
    case CMD_VFS_FSYNC:
        return ion_err(nexfs_fsync(&fs, fd));
    }
    files[a->fd].fd = -1; /* CLOSE */
    return ion_err(nexfs_close(&fs, fd));
}

static void fsck_line(void *arg, const char *line)
{
    (void)arg;
    printf("nexfsd: fsck: %s\n", line);
}

/* A read-only check of what is on the disk, after making every change durable: fsck.nexfs's
 * exit code (0 clean, 4 problems left, 8 could not check). */
static long check(void)
{
    size_t need = nexfs_fsck_mem(&dev);
    int rc = nexfs_sync(&fs);
    if (rc < 0)
        return ion_err(rc);
    if (need > sizeof(fsck_mem)) {
        printf("nexfsd: fsck: needs %zu bytes of memory, has %zu\n", need, sizeof(fsck_mem));
        return NEXFS_FSCK_OPER;
    }
    struct nexfs_fsck_opts o = {0, fsck_line, NULL, fsck_mem, sizeof(fsck_mem)};
    return nexfs_fsck(&dev, &o);
}

static long serve(const struct ep_msg *m)
{
    struct VfsPath p;
    struct VfsIo io_args;
    struct VfsRename r;
    struct nexfs_stat st;
    long rc;

    memcpy(&p, m->arg, sizeof(p));
    memcpy(&io_args, m->arg, sizeof(io_args));
    memcpy(&r, m->arg, sizeof(r));
    switch (m->op) {
    case CMD_VFS_OPEN:
        return do_open(m, &p);
    case CMD_VFS_CLOSE:
    case CMD_VFS_READ:
    case CMD_VFS_WRITE:
    case CMD_VFS_READDIR:
    case CMD_VFS_FSYNC:
        return do_io(m, &io_args);
    case CMD_VFS_STAT: {
        if ((rc = get_path(m, p.path, p.len, path)) < 0)
            return rc;
        if ((rc = nexfs_stat(&fs, path, &st)) < 0)
            return ion_err((int)rc);
        struct vfs_stat out = {.size = st.size,
                               .mtime_ns = st.mtime_ns,
                               .ino = st.ino,
                               .mode = st.mode,
                               .nlink = st.nlink};
        return nexus_ep_copy(m->token, 1, p.out, &out, sizeof(out)) < 0 ? -ION_EFAULT : 0;
    }
    case CMD_VFS_MKDIR:
    case CMD_VFS_UNLINK:
        if ((rc = get_path(m, p.path, p.len, path)) < 0)
            return rc;
        if (m->op == CMD_VFS_MKDIR)
            return ion_err(nexfs_mkdir(&fs, path, 0755));
        rc = nexfs_unlink(&fs, path);
        return ion_err(rc == -NEXFS_EISDIR ? nexfs_rmdir(&fs, path) : (int)rc);
    case CMD_VFS_RENAME:
        if ((rc = get_path(m, r.from, r.from_len, path)) < 0 ||
            (rc = get_path(m, r.to, r.to_len, path2)) < 0)
            return rc;
        return ion_err(nexfs_rename(&fs, path, path2));
    case CMD_VFS_STATFS: {
        struct nexfs_statfs sf;
        if ((rc = nexfs_statfs(&fs, &sf)) < 0)
            return ion_err((int)rc);
        struct vfs_statfs out = {sf.blocks, sf.blocks_free, sf.block_size,
                                 sf.inodes, sf.inodes_free, sf.name_max};
        return nexus_ep_copy(m->token, 1, p.out, &out, sizeof(out)) < 0 ? -ION_EFAULT : 0;
    }
    case CMD_VFS_SYNC:
        return ion_err(nexfs_sync(&fs));
    case CMD_VFS_FSCK:
        return check();
    case CMD_VFS_UNMOUNT:
        return 0; /* main unmounts once the client has its answer */
    }
    return -ION_ENOSYS;
}

/* What must be durable before its answer: every change but a write's data, which is durable at
 * the file's fsync or close (several writes then share one journal commit). */
static bool durable_now(unsigned op)
{
    return op == CMD_VFS_CLOSE || op == CMD_VFS_MKDIR || op == CMD_VFS_UNLINK ||
           op == CMD_VFS_RENAME || op == CMD_VFS_FSYNC || op == CMD_VFS_UNMOUNT;
}

int main(int argc, char **argv)
{
    struct ep_msg m;
    struct cap_info ci;
    long rc = nexfs_ion_dev(0, &dev);

    if (rc < 0)
        return printf("nexfsd: slot 0: %s\n", ion_error_message(rc)), 1;
    if (argc > 1 && strcmp(argv[1], "-probe") == 0) { /* mount only a disk that says NexFS */
        int p = nexfs_probe(&dev, cache);
        if (p <= 0) {
            (void)nexus_cap_info(0, &ci);
            printf("nexfs: %s holds no NexFS filesystem; left alone\n", ci.name);
            return 2;
        }
    }
    int r = nexfs_mount(&fs, &dev, cache, sizeof(cache), dev.read_only ? NEXFS_MOUNT_RDONLY : 0);
    if (r < 0)
        return printf("nexfsd: mount: %s\n", nexfs_strerror(-r)), 1;
    long ep = nexus_ep_serve(1); /* the disk in slot 0 becomes this fiber's alone */
    if (ep < 0)
        return printf("nexfsd: cannot serve: %s\n", ion_error_message(ep)), 1;
    for (unsigned i = 0; i < FILES; i++)
        files[i].fd = -1;
    printf("nexfsd: serving vfs%ld%s\n", ep, dev.read_only ? " (read-only)" : "");
    while ((rc = nexus_ep_recv(&m)) == 0) {
        /* A close, fsync, mkdir, unlink or rename that returned survives a power cut. */
        long result = serve(&m);
        if (result >= 0 && !dev.read_only && durable_now(m.op))
            result = ion_err(nexfs_sync(&fs));
        nexus_ep_reply(m.token, result);
        if (m.op == CMD_VFS_UNMOUNT && result == 0)
            break;
    }
    int r2 = nexfs_unmount(&fs);
    if (rc == 0)
        printf("nexfsd: vfs%ld unmounted%s\n", ep, r2 < 0 ? " (not clean: see above)" : "");
    else
        printf("nexfsd: stopped (%s)\n", ion_error_message(rc));
    return r2 < 0 ? 1 : 0;
}
