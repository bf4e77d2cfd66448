/* nexfs: NexFS in a user fiber, on the disk whose block capability is in slot 0 (`run -c blk1
 * nexfs ls /`). The filesystem code is nexfs/ itself; its device is the Membrane's block calls,
 * so every block moves by DMA straight between the disk and this fiber's cache. Each run mounts
 * (replaying the journal if need be), does one thing, and unmounts clean.
 *   nexfs mkfs | ls [dir] | cat FILE | write FILE TEXT... | append FILE TEXT... | mkdir DIR |
 *         rm FILE | rmdir DIR | mv FROM TO | stat PATH | df | hash FILE | fill FILE BYTES SEED |
 *         fsck */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <abi/walltime.h>
#include <nexfs/nexfs.h>
#include <nexfs_ion.h>
#include <nexus.h>
#include <nexus_blk.h>

#define SLOT     0u
#define CACHE    (256u * 4096u)
#define IO_MAX   (1024u * 1024u)      /* bytes per read/write call of cat, hash and fill */
#define FSCK_MEM (8u * 1024u * 1024u) /* enough for disks up to about 24 MiB */

static uint8_t cache[CACHE] __attribute__((aligned(4096)));
static uint8_t bounce[IO_MAX] __attribute__((aligned(4096)));
static uint8_t work[FSCK_MEM] __attribute__((aligned(4096)));
static struct nexfs fs;

static int fail(const char *what, int rc)
{
    printf("nexfs: %s: %s\n", what, rc > -200 && rc < 0 ? nexfs_strerror(-rc) : "error");
    return 1;
}

static void report(void *arg, const char *line)
{
    (void)arg;
    printf("fsck: %s\n", line);
}

static uint64_t fnv1a(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static int ls(const char *path)
{
    struct nexfs_dirent de;
    int fd = nexfs_open(&fs, path, NEXFS_O_RDONLY | NEXFS_O_DIRECTORY, 0);
    if (fd < 0)
        return fail(path, fd);
    int rc;
    while ((rc = nexfs_readdir(&fs, fd, &de)) == 1)
        printf("%s%s\n", de.name, de.type == NEXFS_S_IFDIR ? "/" : "");
    nexfs_close(&fs, fd);
    return rc < 0 ? fail(path, rc) : 0;
}

/* cat (print) or hash (FNV-1a of the bytes and their count) a file. */
static int read_file(const char *path, int hash)
{
    int fd = nexfs_open(&fs, path, NEXFS_O_RDONLY, 0);
    uint64_t h = 0xcbf29ce484222325ull, total = 0;
    int64_t n;
    if (fd < 0)
        return fail(path, fd);
    while ((n = nexfs_read(&fs, fd, bounce, IO_MAX)) > 0) {
        if (hash)
            h = fnv1a(h, bounce, (size_t)n);
        else
            fwrite(bounce, 1, (size_t)n, stdout);
        total += (uint64_t)n;
    }
    nexfs_close(&fs, fd);
    if (n < 0)
        return fail(path, (int)n);
    if (hash)
        printf("nexfs: %s: %llu bytes, fnv %016llx\n", path, (unsigned long long)total,
               (unsigned long long)h);
    return 0;
}

/* write/append the words joined by spaces, then a newline; or fill with a pattern. */
static int write_file(const char *path, int flags, const void *data, uint64_t len)
{
    int fd = nexfs_open(&fs, path, NEXFS_O_WRONLY | NEXFS_O_CREAT | flags, 0644);
    if (fd < 0)
        return fail(path, fd);
    int64_t n = nexfs_write(&fs, fd, data, len);
    int rc = n < 0 ? (int)n : nexfs_fsync(&fs, fd);
    nexfs_close(&fs, fd);
    return rc < 0 ? fail(path, rc) : 0;
}

static int run(int argc, char **argv)
{
    const char *op = argv[1];
    struct nexfs_stat st;
    struct nexfs_statfs sf;
    static char text[4096];

    if (strcmp(op, "ls") == 0 && argc <= 3)
        return ls(argc == 3 ? argv[2] : "/");
    if ((strcmp(op, "cat") == 0 || strcmp(op, "hash") == 0) && argc == 3)
        return read_file(argv[2], op[0] == 'h');
    if ((strcmp(op, "write") == 0 || strcmp(op, "append") == 0) && argc >= 4) {
        size_t len = 0;
        for (int i = 3; i < argc; i++) {
            size_t w = strlen(argv[i]);
            if (len + w + 2 > sizeof(text))
                return printf("nexfs: text longer than %zu bytes\n", sizeof(text) - 1), 1;
            memcpy(text + len, argv[i], w);
            len += w;
            text[len++] = i + 1 < argc ? ' ' : '\n';
        }
        return write_file(argv[2], op[0] == 'a' ? NEXFS_O_APPEND : NEXFS_O_TRUNC, text, len);
    }
    if (strcmp(op, "fill") == 0 && argc == 5) {
        uint64_t bytes = strtoull(argv[3], NULL, 10), seed = strtoull(argv[4], NULL, 10);
        int fd = nexfs_open(&fs, argv[2], NEXFS_O_WRONLY | NEXFS_O_CREAT | NEXFS_O_TRUNC, 0644);
        if (fd < 0)
            return fail(argv[2], fd);
        for (uint64_t off = 0; off < bytes;) {
            uint32_t n = bytes - off < IO_MAX ? (uint32_t)(bytes - off) : IO_MAX;
            for (uint32_t i = 0; i < n; i++)
                bounce[i] = (uint8_t)(seed + (off + i) * 7 + (off + i) / 4096);
            int64_t w = nexfs_write(&fs, fd, bounce, n);
            if (w < 0) {
                nexfs_close(&fs, fd);
                return fail(argv[2], (int)w);
            }
            off += n;
        }
        int rc = nexfs_fsync(&fs, fd);
        nexfs_close(&fs, fd);
        return rc < 0 ? fail(argv[2], rc) : 0;
    }
    int rc = -NEXFS_EINVAL;
    if (strcmp(op, "mkdir") == 0 && argc == 3)
        rc = nexfs_mkdir(&fs, argv[2], 0755);
    else if (strcmp(op, "rm") == 0 && argc == 3)
        rc = nexfs_unlink(&fs, argv[2]);
    else if (strcmp(op, "rmdir") == 0 && argc == 3)
        rc = nexfs_rmdir(&fs, argv[2]);
    else if (strcmp(op, "mv") == 0 && argc == 4)
        rc = nexfs_rename(&fs, argv[2], argv[3]);
    else if (strcmp(op, "stat") == 0 && argc == 3) {
        char when[WALLTIME_STR_LEN];
        if ((rc = nexfs_stat(&fs, argv[2], &st)) == 0)
            printf("nexfs: %s: inode %u, %s, %llu bytes, %u links, modified %s\n", argv[2], st.ino,
                   (st.mode & NEXFS_S_IFMT) == NEXFS_S_IFDIR ? "directory" : "file",
                   (unsigned long long)st.size, st.nlink,
                   st.mtime_ns ? walltime_format(st.mtime_ns, WALLTIME_TEXT, when) : "unknown");
    } else if (strcmp(op, "df") == 0 && argc == 2) {
        if ((rc = nexfs_statfs(&fs, &sf)) == 0)
            printf("nexfs: %llu of %llu blocks of %u bytes free, %u of %u inodes free\n",
                   (unsigned long long)sf.blocks_free, (unsigned long long)sf.blocks, sf.block_size,
                   sf.inodes_free, sf.inodes);
    } else {
        printf("nexfs: unknown command or arguments: %s\n", op);
        return 2;
    }
    return rc < 0 ? fail(argv[argc - 1], rc) : 0;
}

int main(int argc, char **argv)
{
    struct nexfs_dev dev;

    if (argc < 2) {
        printf("usage: nexfs mkfs | ls [dir] | cat F | write F TEXT | append F TEXT | mkdir D | "
               "rm F | rmdir D | mv A B | stat P | df | hash F | fill F BYTES SEED | fsck\n");
        return 2;
    }
    long rc = nexfs_ion_dev(SLOT, &dev);
    if (rc < 0)
        return printf("nexfs: slot 0: %s\n", ion_error_message(rc)), 1;
    if (strcmp(argv[1], "mkfs") == 0) {
        struct nexfs_mkfs_opts o = {0};
        int r = nexfs_mkfs(&dev, &o, bounce);
        return r < 0 ? fail("mkfs", r) : (printf("nexfs: made a filesystem\n"), 0);
    }
    if (strcmp(argv[1], "fsck") == 0) {
        struct nexfs_fsck_opts o = {.report = report, .mem = work, .mem_size = sizeof(work)};
        if (nexfs_fsck_mem(&dev) > sizeof(work))
            return printf("nexfs: fsck needs %zu bytes\n", nexfs_fsck_mem(&dev)), 8;
        int r = nexfs_fsck(&dev, &o);
        printf("nexfs: fsck %s (%d)\n", r == 0 ? "clean" : "found problems", r);
        return r;
    }
    int r = nexfs_mount(&fs, &dev, cache, sizeof(cache), dev.read_only ? NEXFS_MOUNT_RDONLY : 0);
    if (r < 0)
        return fail("mount", r);
    int status = run(argc, argv);
    r = nexfs_unmount(&fs);
    if (r < 0)
        return fail("unmount", r);
    return status;
}
