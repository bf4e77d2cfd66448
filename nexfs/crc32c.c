/* CRC32C (Castagnoli, reflected polynomial 0x82F63B78) and the seals built on it: every
 * metadata block's header CRC and every inode's CRC. Pure functions, no I/O. */
#include "nexfs_int.h"

static uint32_t crc_table[256];
static int crc_ready;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
        crc_table[i] = c;
    }
    crc_ready = 1;
}

uint32_t nexfs_crc32c(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    if (!crc_ready)
        crc_init();
    crc = ~crc;
    while (len--)
        crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

/* The CRC of a block covers its magic and everything after the CRC field. */
static uint32_t blk_crc(const uint8_t *b, uint32_t bs)
{
    return nexfs_crc32c(nexfs_crc32c(0, b, 4), b + 8, bs - 8);
}

void blk_seal(uint8_t *b, uint32_t bs, uint32_t magic, uint64_t blockno, uint32_t owner,
              uint32_t aux)
{
    put32(b, magic);
    put64(b + 8, blockno);
    put32(b + HDR_OWNER, owner);
    put32(b + HDR_AUX, aux);
    put32(b + 4, blk_crc(b, bs));
}

void blk_reseal(uint8_t *b, uint32_t bs)
{
    put32(b + 4, blk_crc(b, bs));
}

int blk_check(const uint8_t *b, uint32_t bs, uint32_t magic, uint64_t blockno, uint32_t owner)
{
    if (get32(b) != magic || get64(b + 8) != blockno)
        return -NEXFS_EIO;
    if (owner && get32(b + HDR_OWNER) != owner)
        return -NEXFS_EIO;
    if (get32(b + 4) != blk_crc(b, bs))
        return -NEXFS_EIO;
    return 0;
}

void inode_seal(uint8_t *ip)
{
    put32(ip + I_CRC, nexfs_crc32c(0, ip + 4, INODE_SIZE - 4));
}

bool inode_sound(const uint8_t *ip, uint32_t ino)
{
    return get32(ip + I_INO) == ino && get32(ip + I_CRC) == nexfs_crc32c(0, ip + 4, INODE_SIZE - 4);
}

const char *nexfs_strerror(int err)
{
    switch (err < 0 ? -err : err) {
    case 0:
        return "success";
    case NEXFS_EPERM:
        return "operation not permitted";
    case NEXFS_ENOENT:
        return "no such file or directory";
    case NEXFS_EIO:
        return "input/output error (device error or corrupt metadata)";
    case NEXFS_EBADF:
        return "bad file descriptor";
    case NEXFS_ENOMEM:
        return "not enough memory given";
    case NEXFS_EBUSY:
        return "busy";
    case NEXFS_EEXIST:
        return "file exists";
    case NEXFS_ENOTDIR:
        return "not a directory";
    case NEXFS_EISDIR:
        return "is a directory";
    case NEXFS_EINVAL:
        return "invalid argument";
    case NEXFS_EMFILE:
        return "too many open files";
    case NEXFS_EFBIG:
        return "file too large";
    case NEXFS_ENOSPC:
        return "no space left on device";
    case NEXFS_EROFS:
        return "read-only filesystem";
    case NEXFS_ENAMETOOLONG:
        return "file name too long";
    case NEXFS_ENOTEMPTY:
        return "directory not empty";
    default:
        return "unknown error";
    }
}
