/* fsbench: NexFS's speed from a user fiber on the disk in slot 0 (it makes a new filesystem
 * there: everything on the disk is lost). `./rumpk bench fs` runs it beside the raw Valve's
 * `bench blk` on the same disk in the same boot.
 *   fsbench [MiB] [seq]   (seq: the large file's tests only) sequential write (fsync at the end;
 * and the time before that fsync, as seq_write_nosync) and read of one MiB-sized file in 4 MiB
 * calls (the raw benchmark keeps 4 MiB at the device: 4 requests of 1 MiB), 4 KiB random reads in
 * it for 1 s, creating and deleting 10,000 small files; one BENCH line each: BENCH test=fs_<name>
 * bytes= ns= mib_s= ops= ops_s=
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nexfs/nexfs.h>
#include <nexfs_ion.h>
#include <nexus.h>
#include <nexus_blk.h>

#define CACHE (512u * 4096u)
#define CHUNK (4096u * 1024u) /* bytes per read/write call */
#define FILES 10000u

static uint8_t cache[CACHE] __attribute__((aligned(4096)));
static uint8_t buf[CHUNK] __attribute__((aligned(4096)));
static struct nexfs fs;

static void report(const char *name, uint64_t bytes, uint64_t ops, uint64_t ns)
{
    uint64_t us = ns / 1000 ? ns / 1000 : 1;
    uint64_t mib_milli = bytes * 1000u / 1048576u * 1000000u / us;
    printf("BENCH test=fs_%s bytes=%llu ns=%llu mib_s=%llu.%03llu ops=%llu ops_s=%llu\n", name,
           (unsigned long long)bytes, (unsigned long long)ns,
           (unsigned long long)(mib_milli / 1000), (unsigned long long)(mib_milli % 1000),
           (unsigned long long)ops, (unsigned long long)(ops * 1000000u / us));
}

static int fail(const char *what, long rc)
{
    printf("fsbench: %s: %s\n", what, nexfs_strerror((int)-rc));
    return 1;
}

int main(int argc, char **argv)
{
    uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 10) : 64, size, t0,
             rng = 88172645463325252ull;
    struct nexfs_dev dev;
    char path[32];
    long rc = nexfs_ion_dev(0, &dev);

    if (rc < 0)
        return printf("fsbench: slot 0: %s\n", ion_error_message(rc)), 1;
    if (mib == 0 || mib * 2 > dev.block_count * dev.block_size >> 20)
        return printf("fsbench: the disk holds less than twice %llu MiB\n",
                      (unsigned long long)mib),
               2;
    size = mib << 20;
    struct nexfs_mkfs_opts o = {.inodes = 2 * FILES};
    if ((rc = nexfs_mkfs(&dev, &o, buf)) < 0 ||
        (rc = nexfs_mount(&fs, &dev, cache, sizeof(cache), 0)) < 0)
        return fail("mkfs/mount", rc);
    memset(buf, 0x5a, sizeof(buf));

    int fd = nexfs_open(&fs, "/big", NEXFS_O_RDWR | NEXFS_O_CREAT | NEXFS_O_TRUNC, 0644);
    if (fd < 0)
        return fail("/big", fd);
    t0 = nexus_time_ns();
    for (uint64_t off = 0; off < size; off += CHUNK)
        if ((rc = nexfs_write(&fs, fd, buf, CHUNK)) != CHUNK)
            return fail("write", rc < 0 ? rc : -NEXFS_EIO);
    uint64_t t1 = nexus_time_ns();
    if ((rc = nexfs_fsync(&fs, fd)) < 0)
        return fail("fsync", rc);
    report("seq_write", size, size / CHUNK, nexus_time_ns() - t0);
    /* The same writes without their fsync: what the raw benchmark (no flush) compares with. */
    report("seq_write_nosync", size, size / CHUNK, t1 - t0);

    t0 = nexus_time_ns();
    for (uint64_t off = 0; off < size; off += CHUNK)
        if ((rc = nexfs_pread(&fs, fd, buf, CHUNK, off)) != CHUNK)
            return fail("read", rc < 0 ? rc : -NEXFS_EIO);
    report("seq_read", size, size / CHUNK, nexus_time_ns() - t0);

    uint64_t n = 0, end = nexus_time_ns() + 1000000000ull;
    t0 = nexus_time_ns();
    while (nexus_time_ns() < end) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        if ((rc = nexfs_pread(&fs, fd, buf, 4096, (rng % (size / 4096)) * 4096)) != 4096)
            return fail("random read", rc < 0 ? rc : -NEXFS_EIO);
        n++;
    }
    report("rand_read_4k", n * 4096, n, nexus_time_ns() - t0);
    nexfs_close(&fs, fd);
    if (argc > 2 && strcmp(argv[2], "seq") == 0) /* the large file only (for profiles) */
        return (rc = nexfs_unmount(&fs)) < 0 ? fail("unmount", rc) : 0;

    if ((rc = nexfs_mkdir(&fs, "/many", 0755)) < 0)
        return fail("/many", rc);
    t0 = nexus_time_ns();
    for (unsigned i = 0; i < FILES; i++) {
        snprintf(path, sizeof(path), "/many/f%u", i);
        int f = nexfs_open(&fs, path, NEXFS_O_WRONLY | NEXFS_O_CREAT | NEXFS_O_TRUNC, 0644);
        if (f < 0 || (rc = nexfs_write(&fs, f, buf, 512)) != 512)
            return fail(path, f < 0 ? f : rc);
        nexfs_close(&fs, f);
    }
    if ((rc = nexfs_sync(&fs)) < 0)
        return fail("sync", rc);
    report("create_10k", (uint64_t)FILES * 512, FILES, nexus_time_ns() - t0);
    t0 = nexus_time_ns();
    for (unsigned i = 0; i < FILES; i++) {
        snprintf(path, sizeof(path), "/many/f%u", i);
        if ((rc = nexfs_unlink(&fs, path)) < 0)
            return fail(path, rc);
    }
    if ((rc = nexfs_sync(&fs)) < 0)
        return fail("sync", rc);
    report("delete_10k", 0, FILES, nexus_time_ns() - t0);
    return (rc = nexfs_unmount(&fs)) < 0 ? fail("unmount", rc) : 0;
}
