/* Directories as extendible hash tables: logical block 0 is the index (2^depth slots naming
 * leaf blocks), every other block a leaf of packed entries (docs/nexfs-format.md). A lookup
 * reads the index and one leaf (or its overflow chain); an insert into a full leaf splits it,
 * doubling the index when needed. "." and ".." are not stored (the inode holds its parent). */
#include "nexfs_int.h"

#define L_COUNT   24
#define L_USED    26
#define L_NEXT    28
#define L_ENTRIES 32
#define E_HEAD    10 /* ino(4) hash(4) type(1) len(1) */
#define T_REG     1
#define T_DIR     2

uint32_t dir_hash(const struct nexfs *fs, const char *name, uint32_t len)
{
    return nexfs_crc32c(fs->sb.hash_seed, name, len);
}

static uint32_t max_depth(uint32_t bs)
{
    uint32_t d = 0;
    while ((2u << d) <= (bs - HDR_SIZE) / 4)
        d++;
    return d;
}

static uint64_t nblocks(const struct nexfs *fs, struct ino_ref *dir)
{
    return get64(dir->p + I_SIZE) / fs->bs;
}

/* Block lblk of directory dir, checked as `magic`. */
static int dir_blk(struct nexfs *fs, struct ino_ref *dir, uint64_t lblk, uint32_t magic, int *s)
{
    uint64_t p;
    /* Harmless to remove alone (tools/mutate): every caller checked lblk against the size
     * already (index_leaf, chain_find and chain_add for numbers read from disk, dir_next's
     * loop). */
    if (lblk >= nblocks(fs, dir))
        return -NEXFS_EIO;
    int rc = bmap(fs, dir, lblk, &p);
    if (rc < 0)
        return rc;
    /* Directories have no holes. Harmless to remove alone (tools/mutate): block 0 is the
     * superblock, which bc_get_meta refuses under any directory magic. */
    if (p == 0)
        return -NEXFS_EIO;
    return bc_get_meta(fs, p, magic, dir->ino, s);
}

/* The leaf's entries are inside it and add up to its counts. */
static int leaf_sound(const uint8_t *b, uint32_t bs)
{
    uint32_t count = get16(b + L_COUNT), used = get16(b + L_USED), off = L_ENTRIES;
    if (L_ENTRIES + used > bs)
        return -NEXFS_EIO;
    /* The header bound and the entry bound below each change no outcome when removed alone
     * (tools/mutate): an entry is at least E_HEAD + 1 bytes, so an entry past `used` fails
     * the other bound, or the final sum when it is the last. The header bound also keeps the
     * walk from reading the two header bytes of such an entry, at most 9 bytes past the block
     * (L_ENTRIES + used <= bs above). */
    for (uint32_t i = 0; i < count; i++) {
        if (off + E_HEAD > L_ENTRIES + used)
            return -NEXFS_EIO;
        uint32_t len = b[off + 9];
        if (len == 0 || off + E_HEAD + len > L_ENTRIES + used || b[off + 8] < T_REG ||
            b[off + 8] > T_DIR)
            return -NEXFS_EIO;
        off += E_HEAD + len;
    }
    return off == L_ENTRIES + used ? 0 : -NEXFS_EIO;
}

static int leaf_get(struct nexfs *fs, struct ino_ref *dir, uint64_t lblk, int *s)
{
    int rc = dir_blk(fs, dir, lblk, MAGIC_DLEAF, s);
    if (rc == 0 && leaf_sound(bc_data(fs, *s), fs->bs) < 0) {
        bc_put(fs, *s);
        rc = -NEXFS_EIO;
    }
    return rc;
}

/* The leaf the hash belongs to, from the index. */
static int index_leaf(struct nexfs *fs, struct ino_ref *dir, uint32_t h, uint64_t *leaf)
{
    int s;
    int rc = dir_blk(fs, dir, 0, MAGIC_DIDX, &s);
    if (rc < 0)
        return rc;
    uint8_t *b = bc_data(fs, s);
    uint32_t depth = get32(b + HDR_AUX);
    if (depth > max_depth(fs->bs)) {
        bc_put(fs, s);
        return -NEXFS_EIO;
    }
    *leaf = get32(b + HDR_SIZE + 4 * (h & ((1u << depth) - 1)));
    bc_put(fs, s);
    /* Harmless to remove alone (tools/mutate): dir_blk checks the range, and leaf 0 is the
     * index, refused as a leaf by its magic. */
    return (*leaf == 0 || *leaf >= nblocks(fs, dir)) ? -NEXFS_EIO : 0;
}

/* Finds name in the chain from leaf: *slot pinned, *off the entry's offset. 0 or -ENOENT. */
static int chain_find(struct nexfs *fs, struct ino_ref *dir, uint64_t leaf, uint32_t h,
                      const char *name, uint32_t len, int *slot, uint32_t *off)
{
    for (uint64_t steps = 0; leaf && steps < nblocks(fs, dir); steps++) {
        int s;
        int rc = leaf_get(fs, dir, leaf, &s);
        if (rc < 0)
            return rc;
        uint8_t *b = bc_data(fs, s);
        uint32_t o = L_ENTRIES, count = get16(b + L_COUNT);
        for (uint32_t i = 0; i < count; i++) {
            uint32_t l = b[o + 9];
            if (get32(b + o + 4) == h && l == len && memcmp(b + o + E_HEAD, name, len) == 0) {
                *slot = s;
                *off = o;
                return 0;
            }
            o += E_HEAD + l;
        }
        leaf = get32(b + L_NEXT);
        bc_put(fs, s);
        /* Harmless to remove alone (tools/mutate): dir_blk checks it too. */
        if (leaf >= nblocks(fs, dir))
            return -NEXFS_EIO;
    }
    return -NEXFS_ENOENT;
}

static int find(struct nexfs *fs, struct ino_ref *dir, const char *name, uint32_t len, int *s,
                uint32_t *off)
{
    if (get64(dir->p + I_SIZE) == 0)
        return -NEXFS_ENOENT;
    uint32_t h = dir_hash(fs, name, len);
    uint64_t leaf;
    int rc = index_leaf(fs, dir, h, &leaf);
    if (rc < 0)
        return rc;
    return chain_find(fs, dir, leaf, h, name, len, s, off);
}

int dir_lookup(struct nexfs *fs, struct ino_ref *dir, const char *name, uint32_t len, uint32_t *ino)
{
    int s;
    uint32_t off;
    int rc = find(fs, dir, name, len, &s, &off);
    if (rc < 0)
        return rc;
    *ino = get32(bc_data(fs, s) + off);
    bc_put(fs, s);
    return 0;
}

/* Appends a new block to the directory file, sealed as magic with aux, dirty and pinned. */
static int dir_grow(struct nexfs *fs, struct ino_ref *dir, uint32_t magic, uint32_t aux,
                    uint64_t *lblk, int *s)
{
    uint64_t p;
    *lblk = nblocks(fs, dir);
    if (*lblk >= 0xffffffffu || txn_room(fs) < 16)
        return -NEXFS_ENOSPC;
    int rc = balloc(fs, &p);
    if (rc < 0)
        return rc;
    if ((rc = bmap_set(fs, dir, *lblk, p)) < 0)
        return rc;
    if ((rc = bc_new(fs, p, s)) < 0)
        return rc;
    blk_seal(bc_data(fs, *s), fs->bs, magic, p, dir->ino, aux);
    if ((rc = bc_dirty(fs, *s)) < 0) {
        bc_put(fs, *s);
        return rc;
    }
    put64(dir->p + I_SIZE, (*lblk + 1) * fs->bs);
    return 0;
}

static int dir_create_index(struct nexfs *fs, struct ino_ref *dir)
{
    uint64_t il, ll;
    int si, sl;
    int rc = dir_grow(fs, dir, MAGIC_DIDX, 0, &il, &si);
    if (rc < 0)
        return rc;
    rc = dir_grow(fs, dir, MAGIC_DLEAF, 0, &ll, &sl);
    if (rc == 0) {
        put32(bc_data(fs, si) + HDR_SIZE, (uint32_t)ll);
        bc_put(fs, sl);
    }
    bc_put(fs, si);
    return rc;
}

static void put_entry(uint8_t *b, uint32_t ino, uint32_t h, uint32_t type, const char *name,
                      uint32_t len)
{
    uint32_t o = L_ENTRIES + get16(b + L_USED);
    put32(b + o, ino);
    put32(b + o + 4, h);
    b[o + 8] = (uint8_t)type;
    b[o + 9] = (uint8_t)len;
    memcpy(b + o + E_HEAD, name, len);
    put16(b + L_COUNT, (uint16_t)(get16(b + L_COUNT) + 1));
    put16(b + L_USED, (uint16_t)(get16(b + L_USED) + E_HEAD + len));
}

/* Splits leaf `leaf` (no overflow chain) by hash bit `depth`, doubling the index first when
 * the leaf is already as deep as the index. */
static int split(struct nexfs *fs, struct ino_ref *dir, uint64_t leaf)
{
    int si, sl, sn;
    uint64_t nl;
    int rc = dir_blk(fs, dir, 0, MAGIC_DIDX, &si);
    if (rc < 0)
        return rc;
    if ((rc = leaf_get(fs, dir, leaf, &sl)) < 0) {
        bc_put(fs, si);
        return rc;
    }
    uint8_t *ix = bc_data(fs, si), *lb = bc_data(fs, sl);
    uint32_t gd = get32(ix + HDR_AUX), ld = get32(lb + HDR_AUX);
    if (ld > gd || (ld == gd && gd >= max_depth(fs->bs))) {
        rc = -NEXFS_ENOSPC; /* cannot split: the caller chains an overflow block */
        goto out;
    }
    if ((rc = bc_dirty(fs, si)) < 0 || (rc = bc_dirty(fs, sl)) < 0)
        goto out;
    if (ld == gd) {
        memcpy(ix + HDR_SIZE + 4 * (1u << gd), ix + HDR_SIZE, 4 * (1u << gd));
        put32(ix + HDR_AUX, ++gd);
    }
    if ((rc = dir_grow(fs, dir, MAGIC_DLEAF, ld + 1, &nl, &sn)) < 0)
        goto out;
    uint8_t *nb = bc_data(fs, sn);
    for (uint32_t i = 0; i < (1u << gd); i++)
        if (get32(ix + HDR_SIZE + 4 * i) == leaf && ((i >> ld) & 1))
            put32(ix + HDR_SIZE + 4 * i, (uint32_t)nl);
    /* move the entries whose bit ld is set; compact the rest in place */
    uint32_t count = get16(lb + L_COUNT), o = L_ENTRIES, w = L_ENTRIES, kept = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t len = lb[o + 9], h = get32(lb + o + 4);
        if ((h >> ld) & 1) {
            put_entry(nb, get32(lb + o), h, lb[o + 8], (const char *)lb + o + E_HEAD, len);
        } else {
            memmove(lb + w, lb + o, E_HEAD + len);
            w += E_HEAD + len;
            kept++;
        }
        o += E_HEAD + len;
    }
    put16(lb + L_COUNT, (uint16_t)kept);
    put16(lb + L_USED, (uint16_t)(w - L_ENTRIES));
    memset(lb + w, 0, fs->bs - w);
    put32(lb + HDR_AUX, ld + 1);
    bc_put(fs, sn);
out:
    bc_put(fs, sl);
    bc_put(fs, si);
    return rc;
}

/* Puts the entry into the chain from leaf when it has room; chain=1 adds an overflow block
 * at its end when none has. -ENOSPC: the chain is full. */
static int chain_add(struct nexfs *fs, struct ino_ref *dir, uint64_t leaf, int chain, uint32_t ino,
                     uint32_t h, uint32_t type, const char *name, uint32_t len)
{
    for (uint64_t steps = 0; steps < nblocks(fs, dir); steps++) {
        int s;
        int rc = leaf_get(fs, dir, leaf, &s);
        if (rc < 0)
            return rc;
        uint8_t *b = bc_data(fs, s);
        uint32_t next = get32(b + L_NEXT);
        if (L_ENTRIES + get16(b + L_USED) + E_HEAD + len <= fs->bs) {
            if ((rc = bc_dirty(fs, s)) == 0)
                put_entry(b, ino, h, type, name, len);
            bc_put(fs, s);
            return rc;
        }
        if (next == 0 && chain) {
            uint64_t nl;
            int sn;
            if ((rc = bc_dirty(fs, s)) < 0 ||
                (rc = dir_grow(fs, dir, MAGIC_DLEAF, get32(b + HDR_AUX), &nl, &sn)) < 0) {
                bc_put(fs, s);
                return rc;
            }
            put32(b + L_NEXT, (uint32_t)nl);
            put_entry(bc_data(fs, sn), ino, h, type, name, len);
            bc_put(fs, sn);
            bc_put(fs, s);
            return 0;
        }
        bc_put(fs, s);
        if (next == 0)
            return -NEXFS_ENOSPC;
        /* Harmless to remove alone (tools/mutate): dir_blk checks it too. */
        if (next >= nblocks(fs, dir))
            return -NEXFS_EIO;
        leaf = next;
    }
    return -NEXFS_EIO;
}

int dir_insert(struct nexfs *fs, struct ino_ref *dir, const char *name, uint32_t len, uint32_t ino,
               uint32_t type)
{
    uint32_t t = (type & NEXFS_S_IFMT) == NEXFS_S_IFDIR ? T_DIR : T_REG;
    uint32_t h = dir_hash(fs, name, len);
    int rc = idirty(fs, dir);
    if (rc < 0)
        return rc;
    if (get64(dir->p + I_SIZE) == 0 && (rc = dir_create_index(fs, dir)) < 0)
        return rc;
    for (uint32_t tries = 0; tries <= max_depth(fs->bs) + 1; tries++) {
        uint64_t leaf;
        if ((rc = index_leaf(fs, dir, h, &leaf)) < 0)
            return rc;
        int s;
        if ((rc = leaf_get(fs, dir, leaf, &s)) < 0)
            return rc;
        int chained = get32(bc_data(fs, s) + L_NEXT) != 0;
        bc_put(fs, s);
        rc = chain_add(fs, dir, leaf, chained, ino, h, t, name, len);
        if (rc == -NEXFS_ENOSPC && !chained) {
            rc = split(fs, dir, leaf);
            if (rc == -NEXFS_ENOSPC) /* as deep as it goes: chain */
                rc = chain_add(fs, dir, leaf, 1, ino, h, t, name, len);
            else if (rc == 0)
                continue;
        }
        if (rc == 0)
            put32(dir->p + I_DENTRIES, get32(dir->p + I_DENTRIES) + 1);
        return rc;
    }
    return -NEXFS_EIO; /* splits never made room: a loop in the index */
}

int dir_remove(struct nexfs *fs, struct ino_ref *dir, const char *name, uint32_t len)
{
    int s;
    uint32_t off;
    int rc = find(fs, dir, name, len, &s, &off);
    if (rc < 0)
        return rc;
    uint8_t *b = bc_data(fs, s);
    if ((rc = bc_dirty(fs, s)) == 0 && (rc = idirty(fs, dir)) == 0) {
        uint32_t esz = E_HEAD + b[off + 9], end = L_ENTRIES + get16(b + L_USED);
        memmove(b + off, b + off + esz, end - off - esz);
        memset(b + end - esz, 0, esz);
        put16(b + L_COUNT, (uint16_t)(get16(b + L_COUNT) - 1));
        put16(b + L_USED, (uint16_t)(get16(b + L_USED) - esz));
        put32(dir->p + I_DENTRIES, get32(dir->p + I_DENTRIES) - 1);
    }
    bc_put(fs, s);
    return rc;
}

int dir_set(struct nexfs *fs, struct ino_ref *dir, const char *name, uint32_t len, uint32_t ino,
            uint32_t type)
{
    int s;
    uint32_t off;
    int rc = find(fs, dir, name, len, &s, &off);
    if (rc < 0)
        return rc;
    uint8_t *b = bc_data(fs, s);
    if ((rc = bc_dirty(fs, s)) == 0) {
        put32(b + off, ino);
        b[off + 8] = (type & NEXFS_S_IFMT) == NEXFS_S_IFDIR ? T_DIR : T_REG;
    }
    bc_put(fs, s);
    return rc;
}

int dir_next(struct nexfs *fs, struct ino_ref *dir, uint64_t *cookie, struct nexfs_dirent *de)
{
    uint64_t lblk = *cookie >> 32;
    uint32_t idx = (uint32_t)*cookie;
    if (lblk == 0)
        lblk = 1;
    for (; lblk < nblocks(fs, dir); lblk++, idx = 0) {
        int s;
        int rc = leaf_get(fs, dir, lblk, &s);
        if (rc < 0)
            return rc;
        uint8_t *b = bc_data(fs, s);
        uint32_t count = get16(b + L_COUNT), o = L_ENTRIES;
        if (idx >= count) {
            bc_put(fs, s);
            continue;
        }
        for (uint32_t i = 0; i < idx; i++)
            o += E_HEAD + b[o + 9];
        de->ino = get32(b + o);
        de->type = b[o + 8] == T_DIR ? NEXFS_S_IFDIR : NEXFS_S_IFREG;
        de->name_len = b[o + 9];
        memcpy(de->name, b + o + E_HEAD, de->name_len);
        de->name[de->name_len] = 0;
        bc_put(fs, s);
        *cookie = (lblk << 32) | (idx + 1);
        return 1;
    }
    *cookie = lblk << 32;
    return 0;
}
