/* libFuzzer target: a mutated NexFS image goes through fsck -n, a read-only mount with
 * lookups, reads and readdir, a read-write mount with creates, writes, renames and unlinks,
 * and fsck again. Any crash, hang or sanitizer report is a finding; wrong answers are not
 * checked here (the cmocka tests do that). Seeds: tests/fixtures/nexfs-corpus/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nexfs/nexfs.h>

#include "../../nexfs/nexfs_int.h"
#include "nexfs_ramdev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DEV_BLOCKS 256 /* 256 KiB of 1 KiB blocks at most */

static void quiet(void *arg, const char *line)
{
    (void)arg;
    (void)line;
}

static void walk(struct nexfs *fs, const char *dir, int depth)
{
    int fd = nexfs_open(fs, dir, NEXFS_O_RDONLY, 0);
    if (fd < 0)
        return;
    struct nexfs_dirent de;
    static uint8_t buf[8192];
    for (int n = 0; n < 64 && nexfs_readdir(fs, fd, &de) == 1; n++) {
        char path[600];
        size_t l = strlen(dir);
        if (l + de.name_len + 2 > sizeof(path))
            continue;
        memcpy(path, dir, l);
        path[l] = '/';
        memcpy(path + l + 1, de.name, de.name_len + 1);
        struct nexfs_stat st;
        nexfs_stat(fs, path, &st);
        if (de.type == NEXFS_S_IFDIR && depth < 4) {
            walk(fs, path, depth + 1);
        } else {
            int f = nexfs_open(fs, path, NEXFS_O_RDONLY, 0);
            if (f >= 0) {
                nexfs_pread(fs, f, buf, sizeof(buf), 0);
                nexfs_pread(fs, f, buf, 100, st.size > 50 ? st.size - 50 : 0);
                nexfs_close(fs, f);
            }
        }
    }
    nexfs_close(fs, fd);
}

static void fsck_n(struct ramdev *rd)
{
    struct nexfs_fsck_opts o = {.report = quiet};
    o.mem_size = nexfs_fsck_mem(&rd->dev);
    o.mem = malloc(o.mem_size);
    nexfs_fsck(&rd->dev, &o);
    free(o.mem);
}

/* Half the inputs (by their last byte) get every CRC recomputed after mutation, so mutated
 * fields get past the checksums and reach the structural checks behind them. */
static void reseal(uint8_t *img, size_t blocks)
{
    static const uint32_t magics[] = {MAGIC_SUPER, MAGIC_BBMP,  MAGIC_IBMP, MAGIC_IND,
                                      MAGIC_DIDX,  MAGIC_DLEAF, MAGIC_JHDR};
    for (size_t b = 0; b < blocks; b++) {
        uint8_t *p = img + b * 1024;
        for (unsigned m = 0; m < sizeof(magics) / sizeof(magics[0]); m++)
            if (get32(p) == magics[m])
                blk_reseal(p, 1024);
        for (unsigned i = 0; i < 4; i++)
            if (get32(p + i * INODE_SIZE + I_INO) != 0 && get16(p + i * INODE_SIZE + I_MODE))
                inode_seal(p + i * INODE_SIZE);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1024 || size > DEV_BLOCKS * 1024)
        return 0;
    struct ramdev rd;
    ramdev_init(&rd, 1024, size / 1024);
    memcpy(rd.data, data, size / 1024 * 1024);
    if (data[size - 1] & 1)
        reseal(rd.data, size / 1024);
    static uint8_t mem[1024 * 200];
    static struct nexfs fs;
    fsck_n(&rd);
    if (nexfs_mount(&fs, &rd.dev, mem, sizeof(mem), NEXFS_MOUNT_RDONLY) == 0) {
        walk(&fs, "", 0);
        nexfs_unmount(&fs);
    }
    if (nexfs_mount(&fs, &rd.dev, mem, sizeof(mem), 0) == 0) {
        static const char text[] = "fuzzed bytes, written through every level";
        int fd = nexfs_open(&fs, "/fz", NEXFS_O_CREAT | NEXFS_O_RDWR, 0644);
        if (fd >= 0) {
            nexfs_pwrite(&fs, fd, text, sizeof(text), 0);
            nexfs_pwrite(&fs, fd, text, sizeof(text), 20000);
            nexfs_close(&fs, fd);
        }
        nexfs_mkdir(&fs, "/fzd", 0755);
        nexfs_rename(&fs, "/fz", "/fzd/moved");
        walk(&fs, "", 0);
        struct nexfs_statfs sf;
        nexfs_statfs(&fs, &sf);
        nexfs_truncate(&fs, "/fzd/moved", 10);
        nexfs_unlink(&fs, "/fzd/moved");
        nexfs_rmdir(&fs, "/fzd");
        nexfs_unmount(&fs);
        fsck_n(&rd);
    }
    ramdev_free(&rd);
    return 0;
}
