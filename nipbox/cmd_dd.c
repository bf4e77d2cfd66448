/* NipBox `dd`: raw sector access through the shell's block capabilities (CMD_BLK_* on its ION
 * channel: the device moves the data straight to or from the shell's buffer), for people and
 * for the QEMU tests.
 *   dd [-d DEV] read SECTOR            first 16 bytes of the sector, in hex
 *   dd [-d DEV] read SECTOR COUNT      full hexdump with device offsets and ASCII
 *   dd [-d DEV] write SECTOR STRING... the words, joined by spaces, zero-padded to one sector
 *                                     (a string longer than a sector is refused, never cut)
 * Every failure is one line. Without a capability to the disk (given up with `caps drop`, or
 * the disk mounted by NexFS) it says so and the device sees no request. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nexus_blk.h>
#include <nipbox.h>

#define DD_BUF_BYTES (64u * 1024u)

static uint8_t dd_buf[DD_BUF_BYTES] __attribute__((aligned(4096)));

/* The disk behind one of the shell's capabilities. */
struct dd_disk {
    unsigned slot;
    const char *name;
    uint64_t total_blocks;
    uint32_t block_size;
};

static const char *dd_strerror(long rc)
{
    const char *m = ion_error_message(rc);
    return m ? m : "error";
}

/* One line explaining why a request on `info`'s device failed. */
static void dd_error(const struct dd_disk *info, int rc, uint64_t sector, uint64_t count)
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
                   (unsigned long long)(sector + count - 1), dd_strerror(rc));
        else
            printf("dd: %s sector %llu: %s\n", info->name, (unsigned long long)sector,
                   dd_strerror(rc));
        break;
    }
}

void nipbox_hexdump(const uint8_t *p, size_t len, uint64_t offset)
{
    for (size_t i = 0; i < len; i += 16) {
        size_t row = len - i < 16 ? len - i : 16; /* a file's last row may be short */
        printf("%08llx ", (unsigned long long)(offset + i));
        for (size_t j = 0; j < 16; j++) {
            if (j < row)
                printf(j == 8 ? "  %02x" : " %02x", p[i + j]);
            else
                printf(j == 8 ? "    " : "   ");
        }
        printf("  |");
        for (size_t j = 0; j < row; j++)
            putchar(p[i + j] >= 0x20 && p[i + j] < 0x7f ? p[i + j] : '.');
        printf("|\n");
    }
}

static int dd_read(const struct dd_disk *info, uint64_t sector, uint64_t count, bool dump)
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
        long rc = nexus_blk_read(info->slot, sector + done, n, dd_buf, n * info->block_size);
        if (rc < 0) {
            dd_error(info, (int)rc, sector + done, n);
            return (int)rc;
        }
        if (!dump) {
            printf("%s sector %llu:", info->name, (unsigned long long)sector);
            for (unsigned i = 0; i < 16; i++)
                printf(" %02x", dd_buf[i]);
            printf("\n");
            return 0;
        }
        nipbox_hexdump(dd_buf, (size_t)n * info->block_size, (sector + done) * info->block_size);
        done += n;
    } while (done < count && !nipbox_interrupted());
    return 0;
}

static int dd_write(const struct dd_disk *info, uint64_t sector, int argc, char **argv)
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
    long rc = nexus_blk_write(info->slot, sector, 1, dd_buf, info->block_size);
    if (rc < 0) {
        dd_error(info, (int)rc, sector, 1);
        return (int)rc;
    }
    printf("dd: wrote %zu bytes to %s sector %llu\n", len, info->name, (unsigned long long)sector);
    return 0;
}

/* The shell's capability to disk `name`: 0, or a one-line error and -errno. */
static int open_disk(const char *name, struct dd_disk *d)
{
    struct BlkInfo bi;
    int32_t holder = -1;
    int slot = nipbox_cap_slot(name, ION_RIGHT_R);

    if (slot < 0) {
        long why = nexus_cap_mint(name, 0, &holder);
        if (why == -EBUSY)
            printf("dd: %s is mounted by NexFS (vfs%d): only it reads and writes the disk\n", name,
                   (int)holder);
        else if (why == -ENODEV)
            printf("dd: no block device %s\n", name);
        else
            printf("dd: %s: permission denied (the shell holds no capability to it)\n", name);
        return why == -EBUSY ? -EBUSY : why == -ENODEV ? -ENODEV : -EPERM;
    }
    long rc = nexus_blk_info((unsigned)slot, &bi);
    if (rc < 0) {
        printf("dd: %s: %s\n", name, dd_strerror(rc));
        return (int)rc;
    }
    *d = (struct dd_disk){(unsigned)slot, name, bi.blocks, bi.block_size};
    return 0;
}

static int cmd_dd(int argc, char **argv)
{
    const char *name = "blk0";
    struct dd_disk info;
    uint64_t sector, count = 1;
    int a = 1, rc;

    if (argc > 2 && strcmp(argv[1], "-d") == 0) {
        name = argv[2];
        a = 3;
    }
    if (argc - a < 2 || (strcmp(argv[a], "read") != 0 && strcmp(argv[a], "write") != 0)) {
        printf("usage: dd [-d blkN] read <sector> [count] | write <sector> <string>\n");
        return -EINVAL;
    }
    rc = open_disk(name, &info);
    if (rc)
        return rc;
    if (parse_uint(argv[a + 1], UINT64_MAX, &sector)) {
        printf("dd: bad sector number '%s'\n", argv[a + 1]);
        return -EINVAL;
    }
    if (strcmp(argv[a], "write") == 0) {
        if (argc - a < 3) {
            printf("usage: dd [-d blkN] write <sector> <string>\n");
            return -EINVAL;
        }
        return dd_write(&info, sector, argc - a - 2, argv + a + 2);
    }
    if (argc - a > 3) {
        printf("usage: dd [-d blkN] read <sector> [count]\n");
        return -EINVAL;
    }
    if (argc - a == 3 && parse_uint(argv[a + 2], UINT64_MAX, &count)) {
        printf("dd: bad sector count '%s'\n", argv[a + 2]);
        return -EINVAL;
    }
    if (count == 0) {
        dd_error(&info, -EINVAL, sector, 0);
        return -EINVAL;
    }
    return dd_read(&info, sector, count, argc - a == 3);
}

NIPBOX_COMMAND(dd, "dd", "dd [-d blkN] read <sector> [count] | write <sector> <string>",
               "read or write raw sectors of a block device", cmd_dd);
