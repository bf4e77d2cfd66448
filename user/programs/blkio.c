/* blkio: raw block I/O from a user fiber through the Membrane (nexus_blk_*), on the capability
 * in slot 0 (give it with `run -c blk0 blkio ...`). Data moves straight between the device and
 * this fiber's buffer.
 *   blkio info                   the device's geometry
 *   blkio read LBA COUNT         reads COUNT blocks; prints their FNV-1a hash and first bytes
 *   blkio write LBA COUNT SEED   writes a pattern made from SEED (byte i = SEED + i*7 + i/512)
 *   blkio flush
 *   blkio caps                   this fiber's capability slots
 *   blkio drop SLOT              gives up a capability
 *   blkio dropread               gives up slot 0, then tries to read through it */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nexus.h>
#include <nexus_blk.h>

#define BUF_BYTES (256u * 1024u)
#define SLOT      0u

static uint8_t buf[BUF_BYTES] __attribute__((aligned(4096)));

static int fail(const char *what, long rc)
{
    const char *msg = ion_error_message(rc);
    printf("blkio: %s: %s (%ld)\n", what, msg ? msg : "unknown error", rc);
    return 1;
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static int geometry(struct BlkInfo *info)
{
    long rc = nexus_blk_info(SLOT, info);
    return rc < 0 ? fail("info", rc) : 0;
}

static int rw(int write, uint64_t lba, uint32_t count, unsigned seed)
{
    struct BlkInfo info = {.block_size = 512}; /* a fiber without the capability asks anyway */
    (void)nexus_blk_info(SLOT, &info);
    uint64_t len = (uint64_t)count * info.block_size;
    if (len > BUF_BYTES) {
        printf("blkio: at most %u bytes at once\n", BUF_BYTES);
        return 2;
    }
    if (write)
        for (uint64_t i = 0; i < len; i++)
            buf[i] = (uint8_t)(seed + i * 7 + i / 512);
    long rc = write ? nexus_blk_write(SLOT, lba, count, buf, (uint32_t)len)
                    : nexus_blk_read(SLOT, lba, count, buf, (uint32_t)len);
    if (rc < 0)
        return fail(write ? "write" : "read", rc);
    printf("blkio: %s %lu blocks at %llu: %ld bytes, fnv %016llx, first %02x %02x %02x %02x\n",
           write ? "wrote" : "read", (unsigned long)count, (unsigned long long)lba, rc,
           (unsigned long long)fnv1a(buf, len), buf[0], buf[1], buf[2], buf[3]);
    return 0;
}

static int caps(void)
{
    for (unsigned s = 0; s < 32; s++) {
        struct cap_info c;
        if (nexus_cap_info(s, &c) == 0)
            printf("slot %u: %s %s%s%s\n", s, c.name, c.rights & ION_RIGHT_R ? "r" : "",
                   c.rights & ION_RIGHT_W ? "w" : "", c.rights & ION_RIGHT_G ? "g" : "");
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *op = argc > 1 ? argv[1] : "";
    struct BlkInfo info;

    if (strcmp(op, "info") == 0 && argc == 2) {
        if (geometry(&info))
            return 1;
        printf("blkio: %llu blocks of %u bytes%s%s\n", (unsigned long long)info.blocks,
               info.block_size, info.flags & 1 ? ", read-only" : "",
               info.flags & 2 ? ", write cache" : "");
        return 0;
    }
    if (strcmp(op, "read") == 0 && argc == 4)
        return rw(0, strtoull(argv[2], NULL, 0), (uint32_t)strtoul(argv[3], NULL, 0), 0);
    if (strcmp(op, "write") == 0 && argc == 5)
        return rw(1, strtoull(argv[2], NULL, 0), (uint32_t)strtoul(argv[3], NULL, 0),
                  (unsigned)strtoul(argv[4], NULL, 0));
    if (strcmp(op, "flush") == 0 && argc == 2) {
        long rc = nexus_blk_flush(SLOT);
        return rc < 0 ? fail("flush", rc) : (printf("blkio: flushed\n"), 0);
    }
    if (strcmp(op, "caps") == 0)
        return caps();
    if (strcmp(op, "drop") == 0 && argc == 3) {
        long rc = nexus_cap_drop((unsigned)strtoul(argv[2], NULL, 0));
        return rc < 0 ? fail("drop", rc) : (printf("blkio: dropped\n"), 0);
    }
    if (strcmp(op, "dropread") == 0 && argc == 2) {
        long rc = nexus_cap_drop(SLOT);
        if (rc < 0)
            return fail("drop", rc);
        printf("blkio: dropped slot 0\n");
        return rw(0, 0, 1, 0);
    }
    printf("usage: blkio info | read LBA COUNT | write LBA COUNT SEED | flush | caps | drop SLOT | "
           "dropread\n");
    return 2;
}
