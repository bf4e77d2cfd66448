/* fsck: checks a NexFS image from the superblock down (every metadata CRC, every pointer, each
 * block claimed once, bitmaps against what the inodes use, link and entry counts, directory
 * entries reachable by their hash, parents leading to the root) and, with NEXFS_FSCK_REPAIR,
 * fixes what it can without guessing: the primary superblock from the backup, bitmaps,
 * counts, entries naming bad inodes, inodes no name reaches. One report line per finding. */
#include "fsck_int.h"

void fsck_say(struct fsck *c, int fixable, const char *a, uint64_t n, const char *b)
{
    char line[200];
    size_t k = 0;
    for (const char *p = a; *p && k < 120; p++)
        line[k++] = *p;
    char num[24];
    int d = 0;
    do {
        num[d++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    while (d)
        line[k++] = num[--d];
    for (const char *p = b; *p && k < sizeof(line) - 12; p++)
        line[k++] = *p;
    const char *tail = (fixable && c->repair) ? " (fixed)" : fixable ? "" : " (left)";
    for (const char *p = tail; *p; p++)
        line[k++] = *p;
    line[k] = 0;
    if (fixable && c->repair)
        c->result |= NEXFS_FSCK_FIXED;
    else
        c->result |= NEXFS_FSCK_LEFT;
    if (c->report)
        c->report(c->arg, line);
}

size_t nexfs_fsck_mem(const struct nexfs_dev *dev)
{
    uint64_t bytes = dev->block_count * dev->block_size;
    return sizeof(struct nexfs) + 16 + (size_t)BS_MAX * 70 + (size_t)(bytes / 256) * 7 +
           (size_t)(bytes / 1024 / 8) + 64;
}

/* The primary superblock, or the backup in the last block for some block size. */
static int check_super(struct fsck *c, const struct nexfs_dev *dev, uint8_t *buf)
{
    if (dev->ops->read(dev, 0, 1, buf) < 0)
        return -NEXFS_EIO;
    uint32_t bs = get32(buf + 28);
    struct nexfs_super sb;
    uint64_t bytes = dev->block_count * dev->block_size;
    if (bs >= BS_MIN && bs <= BS_MAX && !(bs & (bs - 1)) && bs >= dev->block_size &&
        dev->ops->read(dev, 0, bs / dev->block_size, buf) == 0 && sb_decode(buf, bs, 0, &sb) == 0 &&
        sb_geometry_ok(&sb, bytes) == 0)
        return 0;
    for (bs = BS_MIN; bs <= BS_MAX; bs *= 2) {
        if (bs < dev->block_size)
            continue;
        uint32_t r = bs / dev->block_size;
        uint64_t last = bytes / bs - 1;
        if (bytes / bs < 64 || dev->ops->read(dev, last * r, r, buf) < 0)
            continue;
        if (sb_decode(buf, bs, last, &sb) < 0 || sb_geometry_ok(&sb, bytes) < 0 ||
            sb.block_count != last + 1)
            continue;
        fsck_say(c, 1, "block 0: superblock corrupt; the backup in block ", last, " is sound");
        if (!c->repair)
            return -NEXFS_EIO;
        sb.state = STATE_MOUNTED;
        sb_encode(&sb, buf, 0);
        if (dev->ops->write(dev, 0, r, buf) < 0 || dev->ops->flush(dev) < 0)
            return -NEXFS_EIO;
        return 0;
    }
    fsck_say(c, 0, "block ", 0, ": no sound superblock and no backup: not a NexFS image");
    return -NEXFS_EIO;
}

int nexfs_fsck(const struct nexfs_dev *dev, const struct nexfs_fsck_opts *o)
{
    struct fsck c;
    memset(&c, 0, sizeof(c));
    c.repair = o->flags & NEXFS_FSCK_REPAIR;
    c.report = o->report;
    c.arg = o->arg;
    if (!dev->ops || dev->block_size < 512 || dev->block_size > BS_MAX || !o->mem ||
        o->mem_size < nexfs_fsck_mem(dev))
        return NEXFS_FSCK_OPER;
    uint8_t *m = o->mem;
    size_t align = (16 - ((uintptr_t)m & 15)) & 15;
    c.fs = (struct nexfs *)(void *)(m + align);
    uint8_t *cache = m + align + ((sizeof(struct nexfs) + 15) & ~(size_t)15);
    size_t cache_size = (size_t)BS_MAX * 70;
    if (check_super(&c, dev, cache) < 0)
        return c.result | NEXFS_FSCK_LEFT;
    int rc = nexfs_mount(c.fs, dev, cache, cache_size, c.repair ? 0 : NEXFS_MOUNT_RDONLY);
    if (rc < 0) {
        fsck_say(&c, 0, "block ", 1, ": journal or superblock unusable, cannot mount");
        return c.result | (rc == -NEXFS_EIO ? NEXFS_FSCK_LEFT : NEXFS_FSCK_OPER);
    }
    struct nexfs *fs = c.fs;
    c.used = cache + cache_size;
    size_t ubytes = (fs->sb.block_count / 8 + 8) & ~(size_t)7;
    c.refs = (uint16_t *)(void *)(c.used + ubytes);
    c.dparent = (uint32_t *)(void *)((uint8_t *)c.refs + 2 * (size_t)fs->sb.inode_count + 8);
    c.state = (uint8_t *)(c.dparent + fs->sb.inode_count);
    memset(c.state, 0, fs->sb.inode_count);
    memset(c.used, 0, fs->sb.block_count / 8 + 8);
    memset(c.refs, 0, 2 * (size_t)fs->sb.inode_count);
    memset(c.dparent, 0, 4 * (size_t)fs->sb.inode_count);
    if ((rc = fsck_inodes(&c)) == 0 && (rc = fsck_links(&c)) == 0)
        rc = fsck_bitmaps(&c);
    if (rc < 0)
        fsck_say(&c, 0, "block ", 0, ": device error while checking");
    int urc = nexfs_unmount(fs);
    if (rc < 0 || urc < 0)
        c.result |= NEXFS_FSCK_OPER;
    return c.result;
}
