/* mkfs.nexfs IMG [--size N] [--block-size B]: writes an empty NexFS over an image file,
 * creating or resizing it to N bytes (K, M, G suffixes) when --size is given. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostdev.h"

static int parse_size(const char *s, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-')
        return -1;
    unsigned long long mul = 1;
    if (*end == 'K' || *end == 'k')
        mul = 1ull << 10;
    else if (*end == 'M' || *end == 'm')
        mul = 1ull << 20;
    else if (*end == 'G' || *end == 'g')
        mul = 1ull << 30;
    else if (*end)
        return -1;
    if (mul > 1 && end[1])
        return -1;
    if (v > ~0ull / mul)
        return -1;
    *out = v * mul;
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: mkfs.nexfs IMG [--size N[K|M|G]] [--block-size 1024..65536]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *img = NULL;
    unsigned long long size = 0, bs = 4096;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--size") && i + 1 < argc) {
            if (parse_size(argv[++i], &size) < 0 || size == 0) {
                fprintf(stderr, "mkfs.nexfs: --size %s: not a size (like 64M)\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--block-size") && i + 1 < argc) {
            if (parse_size(argv[++i], &bs) < 0 || bs < 1024 || bs > 65536 || (bs & (bs - 1))) {
                fprintf(stderr, "mkfs.nexfs: --block-size %s: a power of two, 1024..65536\n",
                        argv[i]);
                return 2;
            }
        } else if (argv[i][0] == '-' || img) {
            return usage();
        } else {
            img = argv[i];
        }
    }
    if (!img)
        return usage();
    if (size) {
        int fd = open(img, O_RDWR | O_CREAT, 0644);
        if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
            fprintf(stderr, "mkfs.nexfs: %s: %s\n", img, strerror(errno));
            return 1;
        }
        close(fd);
    }
    struct nexfs_dev dev;
    if (hostdev_open(&dev, "mkfs.nexfs", img, 1) < 0)
        return 1;
    void *scratch = malloc(bs);
    struct nexfs_mkfs_opts o = {.block_size = (uint32_t)bs};
    int rc = nexfs_mkfs(&dev, &o, scratch);
    free(scratch);
    if (rc < 0) {
        fprintf(stderr, "mkfs.nexfs: %s: %s\n", img, nexfs_strerror(rc));
        hostdev_close(&dev);
        return 1;
    }
    unsigned long long blocks = dev.block_count * 512 / bs;
    hostdev_close(&dev);
    printf("mkfs.nexfs: %s: %llu blocks of %llu bytes\n", img, blocks, bs);
    return 0;
}
