/* The write-ahead journal (docs/nexfs-format.md, "Journal"): one transaction at a time, logged
 * as whole-block images, committed by one header write, then written home. Data writes group:
 * one transaction gathers several (committed at the next other change, sync, fsync or unmount,
 * or when full); a write that fails takes back only its own changes. Owns the commit
 * order and its three flushes, recovery at mount, and the read-only overlay. */
#include "nexfs_int.h"

int txn_flush_pending(struct nexfs *fs)
{
    return fs->txn_pending ? txn_commit(fs) : 0;
}

/* Every operation but a data write starts from a committed state. */
void txn_begin(struct nexfs *fs)
{
    (void)txn_flush_pending(fs); /* a failure there is the device's: see txn_commit */
    fs->undo_on = 0;
    fs->txn_open = 1;
    fs->txn_dirty = 0;
    fs->nfrees = 0;
}

/* A data write joins the pending transaction when the before-images of what that holds fit the
 * undo area; from here until it ends, bc_dirty keeps what it changes apart (txn_undo). */
void txn_continue(struct nexfs *fs)
{
    if (!fs->txn_pending || fs->txn_dirty > fs->undo_max) {
        txn_begin(fs);
        return;
    }
    fs->txn_pending = 0;
    fs->txn_open = 1;
    fs->undo_on = 1;
    fs->undo_n = 0;
    fs->undo_txn_dirty = fs->txn_dirty;
    fs->undo_nfrees = fs->nfrees;
    for (uint32_t i = 0; i < fs->nslots; i++)
        fs->slot[i].undo = 0;
}

/* The joined write failed: its changes go, the earlier writes' stay pending. */
void txn_undo(struct nexfs *fs)
{
    for (uint32_t i = 0; i < fs->nslots; i++)
        if (fs->slot[i].dirty && fs->slot[i].undo == 1) {
            fs->slot[i].dirty = 0;
            fs->slot[i].valid = 0;
        }
    for (uint32_t k = 0; k < fs->undo_n; k++) {
        uint64_t b = fs->undo_block[k];
        for (uint32_t i = 0; i < fs->nslots; i++) /* no other copy of the block may stay */
            if (fs->slot[i].valid && fs->slot[i].block == b && (int)i != fs->undo_slot[k])
                fs->slot[i].valid = fs->slot[i].dirty = 0;
        struct nexfs_cslot *s = &fs->slot[fs->undo_slot[k]];
        memcpy(bc_data(fs, fs->undo_slot[k]), fs->undo + (size_t)k * fs->bs, fs->bs);
        s->block = b;
        s->valid = s->dirty = 1;
    }
    fs->txn_dirty = fs->undo_txn_dirty;
    fs->nfrees = fs->undo_nfrees;
    fs->counts_stale = 1;
    fs->undo_on = 0;
    fs->txn_open = 0;
    fs->txn_pending = fs->txn_dirty || fs->nfrees;
}

int txn_defer(struct nexfs *fs, uint32_t keep)
{
    fs->undo_on = 0;
    if (!fs->undo_max || txn_room(fs) < keep || fs->read_only || fs->failed)
        return txn_commit(fs);
    fs->txn_open = 0;
    fs->txn_pending = 1;
    return 0;
}

uint32_t txn_room(const struct nexfs *fs)
{
    uint32_t r = fs->txn_max - fs->txn_dirty;
    uint32_t f = NEXFS_FREES_MAX - fs->nfrees;
    return r < f ? r : f;
}

void txn_abort(struct nexfs *fs)
{
    fs->txn_pending = 0;
    fs->undo_on = 0;
    bc_drop_dirty(fs);
    fs->nfrees = 0;
    fs->counts_stale = 1;
    fs->txn_open = 0;
}

static int in_itable(const struct nexfs *fs, uint64_t b)
{
    return b >= fs->sb.itable_start && b < fs->sb.itable_start + fs->sb.itable_blocks;
}

static int write_header(struct nexfs *fs, uint32_t count, const int *slots)
{
    uint8_t *h = fs->bounce;
    memset(h, 0, fs->bs);
    put64(h + J_SEQ, fs->seq);
    put32(h + J_COUNT, count);
    for (uint32_t i = 0; i < count; i++) {
        uint8_t *e = h + J_ENTRIES + i * J_ENTRY;
        put64(e, fs->slot[slots[i]].block);
        put32(e + 8, nexfs_crc32c(0, bc_data(fs, slots[i]), fs->bs));
    }
    blk_seal(h, fs->bs, MAGIC_JHDR, fs->sb.journal_start, 0, 0);
    return dev_write(fs, fs->sb.journal_start, h);
}

/* Makes every write issued so far stable (none since the last flush: nothing to do). */
int journal_checkpoint(struct nexfs *fs)
{
    if (!fs->ckpt_pending)
        return 0;
    int rc = dev_flush(fs);
    if (rc == 0)
        fs->ckpt_pending = 0;
    return rc;
}

/* Commit order: [flush: this transaction's data blocks, and the last one's home writes, are
 * stable before its log is overwritten] -> log images -> header -> flush (the commit point) ->
 * home writes (made stable by the next commit's first flush, or by sync). A header that lands
 * without all its log images fails their CRCs and is not replayed: it was never committed. */
int txn_commit(struct nexfs *fs)
{
    int slots[NEXFS_TXN_MAX];
    uint32_t n = 0;
    for (uint32_t i = 0; i < fs->nslots; i++)
        if (fs->slot[i].dirty)
            slots[n++] = (int)i;
    fs->txn_pending = 0;
    fs->undo_on = 0;
    if (n == 0 && fs->nfrees == 0) {
        fs->txn_open = 0;
        return 0;
    }
    if (fs->read_only || fs->failed) {
        txn_abort(fs);
        return fs->failed ? -NEXFS_EIO : -NEXFS_EROFS;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *b = bc_data(fs, slots[i]);
        if (!in_itable(fs, fs->slot[slots[i]].block))
            blk_reseal(b, fs->bs);
    }
    int rc = journal_checkpoint(fs);
    for (uint32_t i = 0; rc == 0 && i < n; i++)
        rc = dev_write(fs, fs->sb.journal_start + 1 + i, bc_data(fs, slots[i]));
    if (rc < 0) {
        txn_abort(fs); /* nothing committed: the disk still holds the state before */
        return rc;
    }
    rc = write_header(fs, n, slots);
    if (rc == 0)
        rc = dev_flush(fs);
    if (rc == 0) {
        fs->seq++;
        for (uint32_t i = 0; rc == 0 && i < n; i++)
            rc = dev_write(fs, fs->slot[slots[i]].block, bc_data(fs, slots[i]));
    }
    for (uint32_t i = 0; i < n; i++)
        fs->slot[slots[i]].dirty = 0;
    fs->txn_dirty = 0;
    fs->nfrees = 0;
    fs->txn_open = 0;
    if (rc < 0)
        fs->failed = 1; /* the journal may hold it: the next mount replays; no more writes */
    return rc;
}

int txn_end(struct nexfs *fs, int rc)
{
    if (rc < 0) {
        txn_abort(fs);
        return rc;
    }
    int c = txn_commit(fs);
    return c < 0 ? c : rc;
}

int journal_overlay_find(const struct nexfs *fs, uint64_t block, uint64_t *jblock)
{
    for (uint32_t i = fs->overlay_n; i-- > 0;)
        if (fs->overlay_home[i] == block) {
            *jblock = fs->sb.journal_start + 1 + i;
            return 1;
        }
    return 0;
}

int journal_clear(struct nexfs *fs)
{
    int rc = write_header(fs, 0, NULL);
    if (rc == 0)
        rc = dev_flush(fs);
    return rc;
}

/* The header's transaction is replayed when every logged image matches its CRC. A mismatch
 * means the log was being reused by a later transaction, which starts only after this one's
 * home writes were flushed: nothing to replay. */
int journal_recover(struct nexfs *fs, int replay)
{
    uint8_t *h = fs->bounce2, *b = fs->bounce;
    fs->overlay_n = 0;
    fs->seq = 1;
    int rc = dev_read(fs, fs->sb.journal_start, h);
    if (rc < 0)
        return rc;
    if (blk_check(h, fs->bs, MAGIC_JHDR, fs->sb.journal_start, 0) < 0)
        return 0; /* never committed (a torn header is no commit) */
    fs->seq = get64(h + J_SEQ) + 1;
    uint32_t n = get32(h + J_COUNT);
    if (n == 0)
        return 0;
    uint32_t cap = (fs->bs - J_ENTRIES) / J_ENTRY;
    if (n > NEXFS_TXN_MAX || n > cap || n >= fs->sb.journal_blocks)
        return -NEXFS_EIO;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = h + J_ENTRIES + i * J_ENTRY;
        uint64_t home = get64(e);
        if (home >= fs->sb.block_count ||
            (home >= fs->sb.journal_start && home < fs->sb.journal_start + fs->sb.journal_blocks))
            return -NEXFS_EIO;
        rc = dev_read(fs, fs->sb.journal_start + 1 + i, b);
        if (rc < 0)
            return rc;
        if (nexfs_crc32c(0, b, fs->bs) != get32(e + 8))
            return 0;
    }
    if (!replay) {
        for (uint32_t i = 0; i < n; i++)
            fs->overlay_home[i] = get64(h + J_ENTRIES + i * J_ENTRY);
        fs->overlay_n = n;
        return 1;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint64_t home = get64(h + J_ENTRIES + i * J_ENTRY);
        rc = dev_read(fs, fs->sb.journal_start + 1 + i, b);
        if (rc == 0)
            rc = dev_write(fs, home, b);
        if (rc < 0)
            return rc;
    }
    rc = dev_flush(fs);
    if (rc == 0)
        rc = journal_clear(fs);
    return rc < 0 ? rc : 1;
}
