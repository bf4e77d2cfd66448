/* NexFS: a crash-safe inode filesystem over a struct nexfs_dev (docs/nexfs-format.md).
 * Freestanding: no allocation; the caller owns struct nexfs and the cache memory it hands to
 * nexfs_mount(). Every function returns 0 (or a count) on success and a negative NEXFS_E* code
 * (Linux errno values) on failure. Not thread-safe: one caller at a time per struct nexfs. */
#ifndef NEXFS_H
#define NEXFS_H

#include <stddef.h>
#include <stdint.h>

#include <nexfs/nexfs_dev.h>

/* Error codes: the Linux errno values, so a shim can pass them through unchanged. */
#define NEXFS_EPERM        1
#define NEXFS_ENOENT       2
#define NEXFS_EIO          5
#define NEXFS_EBADF        9
#define NEXFS_ENOMEM       12
#define NEXFS_EBUSY        16
#define NEXFS_EEXIST       17
#define NEXFS_ENOTDIR      20
#define NEXFS_EISDIR       21
#define NEXFS_EINVAL       22
#define NEXFS_EMFILE       24
#define NEXFS_EFBIG        27
#define NEXFS_ENOSPC       28
#define NEXFS_EROFS        30
#define NEXFS_ENAMETOOLONG 36
#define NEXFS_ENOTEMPTY    39

/* A short English name for an error code ("no space left on device"); never NULL. */
const char *nexfs_strerror(int err);

#define NEXFS_NAME_MAX   255
#define NEXFS_PATH_MAX   4096
#define NEXFS_OPEN_MAX   64  /* open files per mount */
#define NEXFS_CACHE_MAX  512 /* block cache slots (the caller's memory may give fewer) */
#define NEXFS_TXN_MAX    256 /* blocks one journal transaction may hold */
#define NEXFS_FREES_MAX  1024
#define NEXFS_FIND_HINTS 256 /* cache lookup hints (a power of two) */
#define NEXFS_UNDO_MAX   64  /* metadata blocks a grouped data write can take back (journal.c) */
#define NEXFS_ROOT_INO   1

/* File types in st_mode (the POSIX values). */
#define NEXFS_S_IFMT  0xf000u
#define NEXFS_S_IFDIR 0x4000u
#define NEXFS_S_IFREG 0x8000u

/* open() flags (the Linux values). */
#define NEXFS_O_RDONLY    0x0000
#define NEXFS_O_WRONLY    0x0001
#define NEXFS_O_RDWR      0x0002
#define NEXFS_O_ACCMODE   0x0003
#define NEXFS_O_CREAT     0x0040
#define NEXFS_O_EXCL      0x0080
#define NEXFS_O_TRUNC     0x0200
#define NEXFS_O_APPEND    0x0400
#define NEXFS_O_DIRECTORY 0x10000

#define NEXFS_SEEK_SET 0
#define NEXFS_SEEK_CUR 1
#define NEXFS_SEEK_END 2

/* nexfs_mount() flags */
#define NEXFS_MOUNT_RDONLY 0x1

struct nexfs_stat {
    uint32_t ino;
    uint32_t mode; /* type | permission bits */
    uint32_t nlink;
    uint64_t size;
    uint64_t blocks; /* filesystem blocks held, indirect and directory blocks included */
    uint64_t mtime_ns, ctime_ns, crtime_ns;
};

struct nexfs_statfs {
    uint32_t block_size;
    uint64_t blocks, blocks_free;
    uint32_t inodes, inodes_free;
    uint32_t name_max;
};

struct nexfs_dirent {
    uint32_t ino;
    uint32_t type; /* NEXFS_S_IFDIR or NEXFS_S_IFREG */
    uint32_t name_len;
    char name[NEXFS_NAME_MAX + 1]; /* NUL-terminated */
};

struct nexfs_mkfs_opts {
    uint32_t block_size;     /* 0: 4096; a power of two 1024..65536, a multiple of the dev's */
    uint64_t blocks;         /* 0: the whole device */
    uint32_t inodes;         /* 0: one per 16 KiB */
    uint32_t journal_blocks; /* 0: chosen from the size */
    uint32_t hash_seed;      /* directory hash seed (0: derived from the clock) */
};

/* Filesystem geometry as the superblock states it (little-endian on disk; here native). */
struct nexfs_super {
    uint32_t version, block_size;
    uint64_t block_count;
    uint32_t feat_compat, feat_incompat, feat_ro_compat;
    uint32_t state;
    uint64_t journal_start;
    uint32_t journal_blocks;
    uint32_t inode_count;
    uint64_t bbitmap_start;
    uint32_t bbitmap_blocks;
    uint64_t ibitmap_start;
    uint32_t ibitmap_blocks;
    uint64_t itable_start;
    uint32_t itable_blocks;
    uint64_t data_start;
    uint32_t hash_seed;
    uint32_t orphan_head;
    uint64_t mkfs_time;
    uint8_t uuid[16];
};

struct nexfs_cslot { /* one block cache slot */
    uint64_t block;
    uint32_t lru;
    uint16_t refs;
    uint8_t valid, dirty, verified;
    uint8_t undo; /* during a grouped write: 1 dirtied by it, 2 its before-image saved */
};

struct nexfs_file { /* one open file */
    uint32_t ino;   /* 0: slot free */
    int flags;
    uint64_t pos;
};

struct nexfs {
    struct nexfs_dev dev;
    struct nexfs_super sb;
    uint32_t bs;    /* filesystem block size */
    uint32_t ratio; /* device blocks per filesystem block */
    int read_only;
    int failed; /* a write after the commit point failed: read-only until remount */
    /* block cache: slot i's bytes are at mem + i * bs */
    uint8_t *mem;
    uint32_t nslots;
    uint32_t lru_clock;
    int16_t find_hint[NEXFS_FIND_HINTS]; /* block % size -> the slot it was last found in */
    struct nexfs_cslot slot[NEXFS_CACHE_MAX];
    uint8_t *bounce; /* one block for data I/O */
    uint8_t *bounce2;
    /* the open transaction */
    int txn_open;
    uint32_t txn_max, txn_dirty;
    uint32_t nfrees;
    uint64_t
        frees[NEXFS_FREES_MAX]; /* blocks freed in this transaction: not reused before it commits */
    uint64_t seq;               /* next journal sequence number */
    int ckpt_pending;           /* home writes not yet flushed */
    /* group commit (journal.c): a data write's transaction left pending for the next one, and
     * what that next one changed, so its failure takes back only its own changes */
    int txn_pending;
    int undo_on;
    uint8_t *undo; /* undo_max blocks of before-images (0: no grouping) */
    uint32_t undo_max, undo_n, undo_txn_dirty, undo_nfrees;
    int16_t undo_slot[NEXFS_UNDO_MAX];
    uint64_t undo_block[NEXFS_UNDO_MAX];
    /* read-only view of a committed transaction that could not be replayed (read-only mount) */
    uint32_t overlay_n;
    uint64_t overlay_home[NEXFS_TXN_MAX];
    /* free counts, recounted from the bitmaps when counts_stale */
    uint64_t free_blocks;
    uint32_t free_inodes;
    int counts_stale;
    uint64_t alloc_hint;
    uint32_t ialloc_hint;
    struct nexfs_file files[NEXFS_OPEN_MAX];
};

/* Bytes of cache memory nexfs_mount() needs at least for a filesystem of block size bs. */
size_t nexfs_mem_min(uint32_t block_size);

/* Writes a new, empty filesystem over the device. `scratch` is one block (opts->block_size
 * bytes, 4096 when 0) of caller memory. */
int nexfs_mkfs(const struct nexfs_dev *dev, const struct nexfs_mkfs_opts *opts, void *scratch);

/* Mounts: checks the superblock (a corrupt one refuses with -EIO), replays a committed journal
 * transaction (read-only: serves it from the journal instead), finishes interrupted unlinks and
 * truncations. mem/mem_size: the block cache (at least nexfs_mem_min()). dev is copied. */
int nexfs_mount(struct nexfs *fs, const struct nexfs_dev *dev, void *mem, size_t mem_size,
                unsigned flags);
/* Closes every file, writes the clean state; the next mount needs no replay. */
int nexfs_unmount(struct nexfs *fs);
/* 1 when the device's first sector starts with NexFS's superblock magic (a disk NexFS would try
 * to mount), 0 when it does not, or -errno from the read. Reads one sector into `sector` (the
 * device's block size); never writes. */
int nexfs_probe(const struct nexfs_dev *dev, void *sector);

int nexfs_open(struct nexfs *fs, const char *path, int flags, uint32_t mode);
int nexfs_close(struct nexfs *fs, int fd);
int64_t nexfs_read(struct nexfs *fs, int fd, void *buf, uint64_t len);
int64_t nexfs_write(struct nexfs *fs, int fd, const void *buf, uint64_t len);
int64_t nexfs_pread(struct nexfs *fs, int fd, void *buf, uint64_t len, uint64_t off);
int64_t nexfs_pwrite(struct nexfs *fs, int fd, const void *buf, uint64_t len, uint64_t off);
int64_t nexfs_lseek(struct nexfs *fs, int fd, int64_t off, int whence);
int nexfs_truncate(struct nexfs *fs, const char *path, uint64_t size);
int nexfs_ftruncate(struct nexfs *fs, int fd, uint64_t size);
int nexfs_stat(struct nexfs *fs, const char *path, struct nexfs_stat *st);
int nexfs_fstat(struct nexfs *fs, int fd, struct nexfs_stat *st);
/* Next entry of directory fd (opened with O_RDONLY|O_DIRECTORY or O_RDONLY): 1 and *de, 0 at
 * the end. "." and ".." are not listed. */
int nexfs_readdir(struct nexfs *fs, int fd, struct nexfs_dirent *de);
int nexfs_mkdir(struct nexfs *fs, const char *path, uint32_t mode);
int nexfs_rmdir(struct nexfs *fs, const char *path);
int nexfs_unlink(struct nexfs *fs, const char *path);
/* Replaces an existing `to` (a file by a file, an empty directory by a directory). */
int nexfs_rename(struct nexfs *fs, const char *from, const char *to);
int nexfs_fsync(struct nexfs *fs, int fd);
int nexfs_sync(struct nexfs *fs);
int nexfs_statfs(struct nexfs *fs, struct nexfs_statfs *st);

/* fsck (nexfs/fsck*.c). Every finding goes to report() as one line naming the inode or block. */
#define NEXFS_FSCK_REPAIR 0x1
#define NEXFS_FSCK_CLEAN  0 /* result bits, as e2fsck's exit code */
#define NEXFS_FSCK_FIXED  1
#define NEXFS_FSCK_LEFT   4
#define NEXFS_FSCK_OPER   8
struct nexfs_fsck_opts {
    unsigned flags;
    void (*report)(void *arg, const char *line);
    void *arg;
    void *mem; /* working memory: nexfs_fsck_mem() bytes */
    size_t mem_size;
};
/* Bytes of working memory fsck needs for this device (an upper bound from its size). */
size_t nexfs_fsck_mem(const struct nexfs_dev *dev);
/* Checks (and with NEXFS_FSCK_REPAIR, repairs) the filesystem on dev; returns the e2fsck-style
 * bits above (8 alone: could not check at all). */
int nexfs_fsck(const struct nexfs_dev *dev, const struct nexfs_fsck_opts *opts);

#endif
