/* NexFS internals: the on-disk layout constants (docs/nexfs-format.md), little-endian field
 * access, and the functions the nexfs sources share. Not a public header. */
#ifndef NEXFS_INT_H
#define NEXFS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <nexfs/nexfs.h>

#define NEXFS_VERSION 1
/* Block magics (first four bytes of every metadata block). */
#define MAGIC_SUPER 0x5346584eu /* "NXFS" */
#define MAGIC_BBMP  0x50424e58u /* "XNBP" block bitmap */
#define MAGIC_IBMP  0x50494e58u /* "XNIP" inode bitmap */
#define MAGIC_IND   0x444e4958u /* "XIND" indirect block */
#define MAGIC_DIDX  0x58494458u /* "XDIX" directory index */
#define MAGIC_DLEAF 0x464c4458u /* "XDLF" directory leaf */
#define MAGIC_JHDR  0x44484a58u /* "XJHD" journal commit header */

#define HDR_SIZE      24 /* magic, crc, blockno, owner, aux */
#define HDR_OWNER     16
#define HDR_AUX       20
#define INODE_SIZE    256
#define NDIRECT       12
#define NPTRS         15 /* 12 direct, single, double, triple */
#define BS_MIN        1024
#define BS_MAX        65536
#define IF_ORPHAN     0x1 /* inode flag: on the orphan list */
#define STATE_CLEAN   1
#define STATE_MOUNTED 2

/* Feature flags: every one of these is set by this version; unknown incompat refuses to mount,
 * unknown ro_compat mounts read-only. */
#define FEAT_INCOMPAT_JOURNAL 0x1u /* physical redo journal at journal_start */
#define FEAT_INCOMPAT_HASHDIR 0x2u /* directories are extendible hash tables */
#define FEAT_INCOMPAT_KNOWN   (FEAT_INCOMPAT_JOURNAL | FEAT_INCOMPAT_HASHDIR)
#define FEAT_RO_COMPAT_KNOWN  0u

/* Inode field offsets. */
#define I_CRC      0
#define I_INO      4
#define I_MODE     8
#define I_FLAGS    10
#define I_NLINK    12
#define I_SIZE     16
#define I_BLOCKS   24
#define I_MTIME    32
#define I_CTIME    40
#define I_CRTIME   48
#define I_PARENT   56
#define I_ORPHAN   60
#define I_DENTRIES 64
#define I_DDEPTH   68
#define I_PTR      72

/* Journal header fields. */
#define J_SEQ     24
#define J_COUNT   32
#define J_ENTRIES 40
#define J_ENTRY   12

/* Little-endian fields. On a little-endian CPU an aligned field is one load or store (metadata
 * blocks are aligned in memory and their 32- and 64-bit fields at multiples of 4 and 8): the
 * byte-wise form costs eight memory accesses for a block pointer, which an emulated CPU pays
 * on every one of the 510 pointers a map block holds. __builtin_memcpy, not memcpy: the
 * freestanding build (-ffreestanding) would make a plain memcpy a call per field. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NEXFS_LE_WORDS 1
#else
#define NEXFS_LE_WORDS 0
#endif

static inline uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t get32(const uint8_t *p)
{
    if (NEXFS_LE_WORDS && (uintptr_t)p % 4 == 0) {
        uint32_t v;
        __builtin_memcpy(&v, __builtin_assume_aligned(p, 4), 4);
        return v;
    }
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t get64(const uint8_t *p)
{
    if (NEXFS_LE_WORDS && (uintptr_t)p % 8 == 0) {
        uint64_t v;
        __builtin_memcpy(&v, __builtin_assume_aligned(p, 8), 8);
        return v;
    }
    return (uint64_t)get32(p) | ((uint64_t)get32(p + 4) << 32);
}
static inline void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void put32(uint8_t *p, uint32_t v)
{
    if (NEXFS_LE_WORDS && (uintptr_t)p % 4 == 0) {
        __builtin_memcpy(__builtin_assume_aligned(p, 4), &v, 4);
        return;
    }
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void put64(uint8_t *p, uint64_t v)
{
    if (NEXFS_LE_WORDS && (uintptr_t)p % 8 == 0) {
        __builtin_memcpy(__builtin_assume_aligned(p, 8), &v, 8);
        return;
    }
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

/* crc32c.c */
uint32_t nexfs_crc32c(uint32_t crc, const void *data, size_t len);
/* A metadata block's header (magic, blockno, owner, aux) without its CRC: for a block made
 * dirty in a transaction, which the commit reseals before anything writes it. */
void blk_stamp(uint8_t *b, uint32_t magic, uint64_t blockno, uint32_t owner, uint32_t aux);
/* Seals a metadata block: magic, blockno, owner, aux set by the caller's values, CRC last. */
void blk_seal(uint8_t *b, uint32_t bs, uint32_t magic, uint64_t blockno, uint32_t owner,
              uint32_t aux);
void blk_reseal(uint8_t *b, uint32_t bs);
/* 0 when b is a sound block of this magic at blockno (owner checked unless 0), else -EIO. */
int blk_check(const uint8_t *b, uint32_t bs, uint32_t magic, uint64_t blockno, uint32_t owner);
void inode_seal(uint8_t *ip);
bool inode_sound(const uint8_t *ip, uint32_t ino);

/* super.c */
void sb_encode(const struct nexfs_super *sb, uint8_t *b, uint64_t blockno);
int sb_decode(const uint8_t *b, uint32_t bs, uint64_t blockno, struct nexfs_super *sb);
int sb_geometry_ok(const struct nexfs_super *sb, uint64_t dev_bytes);
uint32_t sb_orphan_head(struct nexfs *fs, int *err);
int sb_set_orphan_head(struct nexfs *fs, uint32_t ino);
uint64_t fs_now(struct nexfs *fs);

/* cache.c: blocks of metadata, read through the journal overlay */
int dev_read(struct nexfs *fs, uint64_t block, void *buf);
/* `count` consecutive filesystem blocks from `block` in one device request. */
int dev_read_run(struct nexfs *fs, uint64_t block, uint32_t count, void *buf);
int dev_write(struct nexfs *fs, uint64_t block, const void *buf);
/* `count` consecutive filesystem blocks from `block` in one device request. */
int dev_write_run(struct nexfs *fs, uint64_t block, uint32_t count, const void *buf);
int dev_flush(struct nexfs *fs);
int bc_get(struct nexfs *fs, uint64_t block, int slot_out[1]); /* read, pinned */
int bc_new(struct nexfs *fs, uint64_t block, int slot_out[1]); /* zeroed, pinned */
/* bc_get, then the block's header and CRC checked once per load: -EIO when unsound. */
int bc_get_meta(struct nexfs *fs, uint64_t block, uint32_t magic, uint32_t owner, int slot_out[1]);
uint8_t *bc_data(struct nexfs *fs, int slot);
void bc_put(struct nexfs *fs, int slot);
int bc_dirty(struct nexfs *fs, int slot);         /* joins the open transaction */
void bc_forget(struct nexfs *fs, uint64_t block); /* the block was freed: drop it */
void bc_drop_dirty(struct nexfs *fs);             /* abort: forget every dirty block */
void bc_init(struct nexfs *fs, uint8_t *mem, size_t size);

/* journal.c */
void txn_begin(struct nexfs *fs);
/* Group commit for data writes (journal.c): txn_continue joins the pending transaction; on
 * failure txn_undo takes back only this write's changes; txn_defer leaves the transaction
 * pending unless it has less room than `keep`; txn_flush_pending commits a pending one. */
void txn_continue(struct nexfs *fs);
void txn_undo(struct nexfs *fs);
int txn_defer(struct nexfs *fs, uint32_t keep);
int txn_flush_pending(struct nexfs *fs);
uint32_t txn_room(const struct nexfs *fs);
int txn_commit(struct nexfs *fs);
void txn_abort(struct nexfs *fs);
int txn_end(struct nexfs *fs, int rc); /* commit when rc >= 0, else abort; returns rc or error */
int journal_recover(struct nexfs *fs, int replay); /* replay (rw) or overlay (ro) */
int journal_clear(struct nexfs *fs);
int journal_overlay_find(const struct nexfs *fs, uint64_t block, uint64_t *jblock);
int journal_checkpoint(struct nexfs *fs);

/* alloc.c */
int balloc(struct nexfs *fs, uint64_t *block);
/* Up to `want` (>= 1) free blocks that follow one another: the first in *block, how many in
 * *got (at least 1). */
int balloc_run(struct nexfs *fs, uint32_t want, uint64_t *block, uint32_t *got);
int bfree(struct nexfs *fs, uint64_t block);
int ialloc(struct nexfs *fs, uint32_t *ino);
int ifree(struct nexfs *fs, uint32_t ino);
int bitmap_test(struct nexfs *fs, int inode_map, uint64_t n, int *set);
int alloc_recount(struct nexfs *fs);

/* inode.c: an inode is edited in place in its cache block */
struct ino_ref {
    int slot;
    uint8_t *p; /* INODE_SIZE bytes inside the cache block */
    uint32_t ino;
    int dirty;
};
int iget(struct nexfs *fs, uint32_t ino, struct ino_ref *r);
void iput(struct nexfs *fs, struct ino_ref *r);
int idirty(struct nexfs *fs, struct ino_ref *r); /* joins the transaction, reseals on commit */
int inew(struct nexfs *fs, uint32_t mode, uint32_t parent, struct ino_ref *r);
void itouch(struct nexfs *fs, struct ino_ref *r, int mtime);
void iseal(struct ino_ref *r); /* before a commit while r is still held */
int inode_mark_orphan(struct nexfs *fs, struct ino_ref *r); /* blocks past size to be freed */
int inode_drop_link(struct nexfs *fs, struct ino_ref *r);   /* nlink--, orphan when 0 */
int orphan_finish(struct nexfs *fs, uint32_t ino);          /* own transactions */
int orphans_process(struct nexfs *fs);
/* In the open transaction: frees what orphan r hides while there is room; *done when off the
 * list (and, when unlinked, freed). */
int orphan_step(struct nexfs *fs, struct ino_ref *r, int *done);
bool file_is_open(const struct nexfs *fs, uint32_t ino);

/* bmap.c */
uint64_t bmap_limit(uint32_t bs); /* logical blocks a file can hold */
/* Physical block of logical lblk of r (0: a hole); -EIO for a pointer out of range or an
 * unsound indirect block on the way, -EFBIG past the largest file. */
int bmap(struct nexfs *fs, struct ino_ref *r, uint64_t lblk, uint64_t *pblk);
/* The same for a run: logical blocks lblk.. (at most max, >= 1) that map to *pblk, *pblk + 1, ...
 * (or that are all holes: *pblk 0); *n how many (at least 1). */
int bmap_run(struct nexfs *fs, struct ino_ref *r, uint64_t lblk, uint32_t max, uint64_t *pblk,
             uint32_t *n);
/* How many logical blocks from lblk on have their pointers in the same place (the inode or
 * one indirect block): the longest run bmap_set_run takes. */
uint64_t bmap_span(uint32_t bs, uint64_t lblk);
/* Makes the map blocks on the way to lblk's pointer, so that data blocks allocated next lie
 * after them (a run of data is not cut by its own map block). */
int bmap_reserve(struct nexfs *fs, struct ino_ref *r, uint64_t lblk);
/* Replaces the pointer for lblk by pblk (0 to punch), freeing what was there. */
int bmap_set(struct nexfs *fs, struct ino_ref *r, uint64_t lblk, uint64_t pblk);
/* The same for n (<= bmap_span) logical blocks from lblk: pblk, pblk + 1, ... (pblk 0: holes). */
int bmap_set_run(struct nexfs *fs, struct ino_ref *r, uint64_t lblk, uint64_t pblk, uint32_t n);
/* Frees blocks from lblk on, while the transaction has room; *done = 1 when all are gone. */
int bmap_free_from(struct nexfs *fs, struct ino_ref *r, uint64_t lblk, int *done);

/* dir.c */
uint32_t dir_hash(const struct nexfs *fs, const char *name, uint32_t len);
int dir_init(struct nexfs *fs, struct ino_ref *dir);
int dir_lookup(struct nexfs *fs, struct ino_ref *dir, const char *name, uint32_t len,
               uint32_t *ino);
int dir_insert(struct nexfs *fs, struct ino_ref *dir, const char *name, uint32_t len, uint32_t ino,
               uint32_t type);
int dir_remove(struct nexfs *fs, struct ino_ref *dir, const char *name, uint32_t len);
int dir_set(struct nexfs *fs, struct ino_ref *dir, const char *name, uint32_t len, uint32_t ino,
            uint32_t type);
/* Entry at *cookie or after: 1 (cookie advanced past it), 0 at the end. */
int dir_next(struct nexfs *fs, struct ino_ref *dir, uint64_t *cookie, struct nexfs_dirent *de);

/* namei.c */
int namei(struct nexfs *fs, const char *path, uint32_t *ino);
int namei_parent(struct nexfs *fs, const char *path, uint32_t *dir, const char **name,
                 uint32_t *len);
int fs_create(struct nexfs *fs, const char *path, uint32_t mode, uint32_t *ino);
int fs_writable(const struct nexfs *fs);

/* file.c */
int file_truncate(struct nexfs *fs, uint32_t ino, uint64_t size);

#endif
