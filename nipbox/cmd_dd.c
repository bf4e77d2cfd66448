/* NipBox `dd`: raw sector access through the Block Valve, for people and for the QEMU tests.
 *   dd [-d DEV] read SECTOR            first 16 bytes of the sector, in hex
 *   dd [-d DEV] read SECTOR COUNT      full hexdump with device offsets and ASCII
 *   dd [-d DEV] write SECTOR STRING... the words, joined by spaces, zero-padded to one sector
 *                                     (a string longer than a sector is refused, never cut)
 * Every failure is one line; it never touches the device except through the Valve. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dispatch/dispatch.h>
#include <nipbox.h>
#include <valve.h>

#define DD_BUF_BYTES (64u * 1024u)

static uint8_t dd_buf[DD_BUF_BYTES] __attribute__((aligned(4096)));

/* One line explaining why a request on `info`'s device failed. */
static void dd_error(const struct block_info *info, int rc, uint64_t sector, uint64_t count)
{
    switch (rc) {
    case -ERANGE:
        if (count <= 1 || sector >= info->total_blocks)
            printf("dd: sector %llu is past the end of %s (%llu sectors)\n",
                   (unsigned long long)sector, info->name, (unsigned long long)info->total_blocks);
        else
            printf("dd: sectors %llu..%llu run past the end of %s (%llu sectors)\n",
                   (unsigned long long)sector, (unsigned long long)(sector + count - 1), info->name,
                   (unsigned long long)info->total_blocks);
        break;
    case -EROFS:
        printf("dd: %s is read-only\n", info->name);
        break;
    case -EINVAL:
        if (count == 0) {
            printf("dd: sector count must be at least 1\n");
            break;
        }
        /* fall through */
    default:
        /* The device answers per request: a failed read of several sectors names them all. */
        if (count > 1)
            printf("dd: %s sectors %llu..%llu: %s\n", info->name, (unsigned long long)sector,
                   (unsigned long long)(sector + count - 1), block_strerror(rc));
        else
            printf("dd: %s sector %llu: %s\n", info->name, (unsigned long long)sector,
                   block_strerror(rc));
        break;
    }
}

static void hexdump(const uint8_t *p, size_t len, uint64_t offset)
{
    for (size_t i = 0; i < len; i += 16) {
        printf("%08llx ", (unsigned long long)(offset + i));
        for (size_t j = 0; j < 16; j++)
            printf(j == 8 ? "  %02x" : " %02x", p[i + j]);
        printf("  |");
        for (size_t j = 0; j < 16; j++)
            putchar(p[i + j] >= 0x20 && p[i + j] < 0x7f ? p[i + j] : '.');
        printf("|\n");
    }
}

static int dd_read(unsigned dev, const struct block_info *info, uint64_t sector, uint64_t count,
                   bool dump)
{
    const uint32_t per_buf = DD_BUF_BYTES / info->block_size;
    uint64_t done = 0;

    /* A dump longer than the buffer is read in pieces: refuse a bad range before printing
     * any of it (the Valve checks each piece again). */
    if (sector >= info->total_blocks || count > info->total_blocks - sector) {
        dd_error(info, -ERANGE, sector, count);
        return -ERANGE;
    }
    do {
        uint32_t n = count - done < per_buf ? (uint32_t)(count - done) : per_buf;
        int rc = block_read(&block_kernel, dev, sector + done, n, dd_buf);
        if (rc) {
            dd_error(info, rc, sector + done, n);
            return rc;
        }
        if (!dump) {
            printf("%s sector %llu:", info->name, (unsigned long long)sector);
            for (unsigned i = 0; i < 16; i++)
                printf(" %02x", dd_buf[i]);
            printf("\n");
            return 0;
        }
        hexdump(dd_buf, (size_t)n * info->block_size, (sector + done) * info->block_size);
        done += n;
    } while (done < count && !nipbox_interrupted());
    return 0;
}

static int dd_write(unsigned dev, const struct block_info *info, uint64_t sector, int argc,
                    char **argv)
{
    size_t len = 0, total = (size_t)argc - 1;

    for (int i = 0; i < argc; i++)
        total += strlen(argv[i]);
    if (total > info->block_size) {
        printf("dd: the string is %zu bytes; a sector of %s holds %u; nothing written\n", total,
               info->name, (unsigned)info->block_size);
        return -EINVAL;
    }
    memset(dd_buf, 0, info->block_size);
    for (int i = 0; i < argc; i++) {
        if (i > 0)
            dd_buf[len++] = ' ';
        memcpy(dd_buf + len, argv[i], strlen(argv[i]));
        len += strlen(argv[i]);
    }
    int rc = block_write(&block_kernel, dev, sector, 1, dd_buf);
    if (rc) {
        dd_error(info, rc, sector, 1);
        return rc;
    }
    printf("dd: wrote %zu bytes to %s sector %llu\n", len, info->name, (unsigned long long)sector);
    return 0;
}

static int cmd_dd(int argc, char **argv)
{
    const char *name = "blk0";
    struct block_info info;
    uint64_t sector, count = 1;
    int a = 1, dev, rc;

    if (argc > 2 && strcmp(argv[1], "-d") == 0) {
        name = argv[2];
        a = 3;
    }
    if (argc - a < 2 || (strcmp(argv[a], "read") != 0 && strcmp(argv[a], "write") != 0)) {
        printf("usage: dd [-d blkN] read <sector> [count] | write <sector> <string>\n");
        return -EINVAL;
    }
    dev = block_find(name);
    if (dev < 0) {
        printf("dd: no block device %s\n", name);
        return -ENODEV;
    }
    rc = block_info(&block_kernel, (unsigned)dev, &info);
    if (rc) {
        printf("dd: %s: %s\n", name, block_strerror(rc));
        return rc;
    }
    int ep = dispatch_mounted((unsigned)dev);
    if (ep >= 0) {
        printf("dd: %s is mounted by NexFS (vfs%d): only it reads and writes the disk\n", name, ep);
        return -EBUSY;
    }
    if (nipbox_parse_uint(argv[a + 1], UINT64_MAX, &sector)) {
        printf("dd: bad sector number '%s'\n", argv[a + 1]);
        return -EINVAL;
    }
    if (strcmp(argv[a], "write") == 0) {
        if (argc - a < 3) {
            printf("usage: dd [-d blkN] write <sector> <string>\n");
            return -EINVAL;
        }
        return dd_write((unsigned)dev, &info, sector, argc - a - 2, argv + a + 2);
    }
    if (argc - a > 3) {
        printf("usage: dd [-d blkN] read <sector> [count]\n");
        return -EINVAL;
    }
    if (argc - a == 3 && nipbox_parse_uint(argv[a + 2], UINT64_MAX, &count)) {
        printf("dd: bad sector count '%s'\n", argv[a + 2]);
        return -EINVAL;
    }
    if (count == 0) {
        dd_error(&info, -EINVAL, sector, 0);
        return -EINVAL;
    }
    return dd_read((unsigned)dev, &info, sector, count, argc - a == 3);
}

NIPBOX_COMMAND(dd, "dd", "dd [-d blkN] read <sector> [count] | write <sector> <string>",
               "read or write raw sectors of a block device", cmd_dd);
