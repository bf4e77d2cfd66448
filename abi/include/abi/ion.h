/* ION rings as both sides see them in the shared pages: a submission ring the fiber produces
 * into and the kernel consumes, a completion ring the other way round (io_uring's discipline).
 * Each side owns one index of each ring and only reads the other's; every index and entry the
 * fiber writes is hostile to the kernel until checked (ion/). A ring area is one header
 * followed by its entries; `entries` is a power of two, at most ION_RING_MAX. */
#ifndef ABI_ION_H
#define ABI_ION_H

#include <stdint.h>

#define ION_RING_MAX 4096u

struct ion_ring_header {
    uint32_t head;    /* consumer's: next entry it will take */
    uint32_t tail;    /* producer's: next entry it will fill */
    uint32_t entries; /* the ring's size, as the kernel set it up (the kernel keeps its own copy) */
    uint32_t pad;
};

/* One command. `slot` names the capability it acts through; `tag` comes back untouched in its
 * completion; `arg` is the command's argument block (BlkArgs for CMD_BLK_*). */
struct ion_sqe {
    uint16_t op;
    uint16_t flags;
    uint32_t slot;
    uint64_t tag;
    uint64_t arg[4];
};

/* One completion: the command's tag and its result (>= 0, or -errno). */
struct ion_cqe {
    uint64_t tag;
    int64_t result;
};

/* What SYS_ION_SETUP tells the fiber: where its rings are mapped (user addresses). */
struct ion_params {
    uint64_t sq; /* the submission ring's header, its entries right after it */
    uint64_t cq; /* the completion ring's header, its entries right after it */
    uint32_t sq_entries, cq_entries;
};

/* What SYS_CAP_INFO tells of a slot. `kind`: ION_CAP_* ; `rights`: ION_RIGHT_* | ION_RIGHT_G. */
#define ION_CAP_BLOCK 1u
#define ION_CAP_NET   4u /* a network interface (the net channel) */
#define ION_RIGHT_G   0x4u
struct cap_info {
    uint32_t kind;
    uint32_t object; /* the kernel's handle of the object (a block device's) */
    uint32_t rights;
    uint32_t pad;
    uint64_t badge;
    char name[16]; /* "blk0" */
};

/* A command SYS_EP_RECV hands the endpoint's server: who sent it (a fiber id), with which
 * capability rights (ION_RIGHT_*), the command's code and argument block, and the token that
 * names it in SYS_EP_COPY and SYS_EP_REPLY. */
#define ION_CAP_VFS 2u
struct ep_msg {
    uint32_t token;
    uint32_t client;
    uint32_t rights;
    uint32_t op;
    uint64_t arg[4];
};

/* What CMD_VFS_STAT and CMD_VFS_READDIR write into the client's memory. mode: the POSIX type
 * bits (0x4000 directory, 0x8000 file) and permission bits; times in ns since 1970 (0 unknown). */
struct vfs_stat {
    uint64_t size;
    uint64_t mtime_ns;
    uint32_t ino, mode, nlink, pad;
};
/* What CMD_VFS_STATFS writes into the client's memory. */
struct vfs_statfs {
    uint64_t blocks, blocks_free;
    uint32_t block_size, inodes, inodes_free, name_max;
};
#define VFS_NAME_MAX 255u
struct vfs_dirent {
    uint32_t ino;
    uint32_t mode; /* type bits only */
    char name[VFS_NAME_MAX + 1];
};

/* One capability SYS_SPAWN copies into the child: the caller's slot and the rights the copy
 * gets (ION_RIGHT_*; a subset of what the slot holds). */
struct spawn_cap {
    uint32_t slot;
    uint32_t rights;
};
#define SPAWN_ARGS_MAX 16u  /* argv entries */
#define SPAWN_ARG_LEN  128u /* bytes of one argument, its NUL included */
#define SPAWN_CAPS_MAX 8u
/* SYS_SPAWN_IMAGE's program: an ELF image of len bytes at addr in the caller's memory (a file
 * read from NexFS), and the name its fiber gets. */
struct spawn_image {
    uint64_t addr, len;
    char name[16];
};
#define SPAWN_IMAGE_MAX (4u << 20)
/* Or'ed into SYS_SPAWN's ncaps: the child is nobody's to wait for; the kernel reaps it and says
 * in one line how it ended (a shell's background program). */
#define SPAWN_DETACH 0x10000u

#endif
