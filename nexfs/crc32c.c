/* CRC32C (Castagnoli, reflected polynomial 0x82F63B78) and the seals built on it: every
 * metadata block's header CRC and every inode's CRC. Pure functions, no I/O. */
#include "nexfs_int.h"

/* Slicing by eight: crc_table[k][b] is the CRC of byte b followed by k zero bytes, so eight
 * bytes are folded with eight look-ups instead of eight dependent steps (a 4 KiB block is
 * sealed on every metadata write: about 2 instructions a byte instead of 5.5). */
static uint32_t crc_table[8][256];
static int crc_ready;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int k = 1; k < 8; k++)
            crc_table[k][i] = (crc_table[k - 1][i] >> 8) ^ crc_table[0][crc_table[k - 1][i] & 0xff];
    crc_ready = 1;
}

uint32_t nexfs_crc32c(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    if (!crc_ready)
        crc_init();
    crc = ~crc;
    for (; len && (!NEXFS_LE_WORDS || (uintptr_t)p % 8); len--)
        crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    for (; NEXFS_LE_WORDS && len >= 8; len -= 8, p += 8) {
        uint64_t w = get64(p) ^ crc; /* little-endian: the CRC meets the first four bytes */
        crc = crc_table[7][w & 0xff] ^ crc_table[6][(w >> 8) & 0xff] ^
              crc_table[5][(w >> 16) & 0xff] ^ crc_table[4][(w >> 24) & 0xff] ^
              crc_table[3][(w >> 32) & 0xff] ^ crc_table[2][(w >> 40) & 0xff] ^
              crc_table[1][(w >> 48) & 0xff] ^ crc_table[0][w >> 56];
    }
    while (len--)
        crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

/* The CRC of a block covers its magic and everything after the CRC field. */
static uint32_t blk_crc(const uint8_t *b, uint32_t bs)
{
    return nexfs_crc32c(nexfs_crc32c(0, b, 4), b + 8, bs - 8);
}

void blk_stamp(uint8_t *b, uint32_t magic, uint64_t blockno, uint32_t owner, uint32_t aux)
{
    put32(b, magic);
    put64(b + 8, blockno);
    put32(b + HDR_OWNER, owner);
    put32(b + HDR_AUX, aux);
}

void blk_seal(uint8_t *b, uint32_t bs, uint32_t magic, uint64_t blockno, uint32_t owner,
              uint32_t aux)
{
    blk_stamp(b, magic, blockno, owner, aux);
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
