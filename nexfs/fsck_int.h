/* What the fsck files share: the check's state and its passes. */
#ifndef NEXFS_FSCK_INT_H
#define NEXFS_FSCK_INT_H

#include "nexfs_int.h"

#define ST_FREE 0
#define ST_FILE 1
#define ST_DIR  2
#define ST_BAD  3

struct fsck {
    struct nexfs *fs;
    int repair;
    int result;
    void (*report)(void *arg, const char *line);
    void *arg;
    uint8_t *used;     /* one bit per block: claimed by an inode */
    uint16_t *refs;    /* names found per inode */
    uint32_t *dparent; /* directory whose entry names this directory */
    uint8_t *state;    /* per inode: ST_* */
    int ind_bad;       /* the inode being walked has an unreadable indirect block */
    int unsure;        /* some blocks could not be walked: unclaimed blocks are kept, not freed */
};

/* One finding: a + number + b. fixable: repair mode fixes it (FIXED), else LEFT. */
void fsck_say(struct fsck *c, int fixable, const char *a, uint64_t n, const char *b);
int fsck_inodes(struct fsck *c);  /* every allocated inode, its blocks, its entries */
int fsck_links(struct fsck *c);   /* link counts, names, parents, orphans */
int fsck_bitmaps(struct fsck *c); /* the bitmaps against what pass 1 found */

#endif
