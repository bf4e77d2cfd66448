/* The entropy pool's arithmetic: the ChaCha20 block function and the pool built on it (absorb,
 * draw with fast key erasure). Portable and freestanding (the host tests build it as is); it
 * knows no source, no lock and no clock: kernel/entropy_kernel.c adds those. */
#include <string.h>

#include <kernel/entropy.h>

/* Nonce words that keep absorbing and drawing apart ("add", "read" in ASCII). */
#define DOMAIN_ADD  0x00646461u
#define DOMAIN_READ 0x64616572u

static uint32_t rotl(uint32_t v, unsigned n)
{
    return v << n | v >> (32u - n);
}

static void quarter(uint32_t *x, unsigned a, unsigned b, unsigned c, unsigned d)
{
    x[a] += x[b];
    x[d] = rotl(x[d] ^ x[a], 16);
    x[c] += x[d];
    x[b] = rotl(x[b] ^ x[c], 12);
    x[a] += x[b];
    x[d] = rotl(x[d] ^ x[a], 8);
    x[c] += x[d];
    x[b] = rotl(x[b] ^ x[c], 7);
}

static uint32_t load32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void store32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
                    uint8_t out[CHACHA20_BLOCK])
{
    /* "expand 32-byte k" as four little-endian words */
    uint32_t in[16] = {0x61707865u, 0x3320646eu, 0x79622d32u, 0x6b206574u};
    uint32_t x[16];

    memcpy(&in[4], key, 8 * sizeof(uint32_t));
    in[12] = counter;
    in[13] = nonce[0];
    in[14] = nonce[1];
    in[15] = nonce[2];
    memcpy(x, in, sizeof(x));
    for (int i = 0; i < 10; i++) {
        quarter(x, 0, 4, 8, 12);
        quarter(x, 1, 5, 9, 13);
        quarter(x, 2, 6, 10, 14);
        quarter(x, 3, 7, 11, 15);
        quarter(x, 0, 5, 10, 15);
        quarter(x, 1, 6, 11, 12);
        quarter(x, 2, 7, 8, 13);
        quarter(x, 3, 4, 9, 14);
    }
    for (int i = 0; i < 16; i++)
        store32(out + 4 * i, x[i] + in[i]);
}

void entropy_pool_init(struct entropy_pool *p)
{
    memset(p, 0, sizeof(*p));
}

/* key' = first half of ChaCha20(key XOR chunk, ...) XOR key: the chunk changes the key the block
 * runs under, the feed-forward makes the step one-way. */
static void absorb(struct entropy_pool *p, const uint8_t chunk[32], uint32_t index, uint32_t len)
{
    uint32_t k[8];
    uint8_t block[CHACHA20_BLOCK];
    const uint32_t nonce[3] = {DOMAIN_ADD ^ len, (uint32_t)p->adds, (uint32_t)(p->adds >> 32)};

    for (int i = 0; i < 8; i++)
        k[i] = p->key[i] ^ load32(chunk + 4 * i);
    chacha20_block(k, index, nonce, block);
    for (int i = 0; i < 8; i++)
        p->key[i] ^= load32(block + 4 * i);
    memset(block, 0, sizeof(block));
    memset(k, 0, sizeof(k));
}

void entropy_pool_add(struct entropy_pool *p, const void *buf, size_t len)
{
    const uint8_t *b = buf;
    uint8_t chunk[32];
    uint32_t index = 0;

    p->adds++;
    do {
        size_t n = len < sizeof(chunk) ? len : sizeof(chunk);
        memset(chunk, 0, sizeof(chunk));
        if (n)
            memcpy(chunk, b, n);
        absorb(p, chunk, index++, (uint32_t)len);
        b += n;
        len -= n;
    } while (len);
    memset(chunk, 0, sizeof(chunk));
}

void entropy_pool_read(struct entropy_pool *p, void *out, size_t len)
{
    uint8_t next[CHACHA20_BLOCK], block[CHACHA20_BLOCK];
    uint8_t *o = out;
    const uint32_t nonce[3] = {DOMAIN_READ, (uint32_t)p->reads, (uint32_t)(p->reads >> 32)};
    uint32_t counter = 0;

    p->reads++;
    /* Block 0: its first half becomes the next key, its second half the first output bytes;
     * every block of this draw runs under the old key, which is then gone. */
    chacha20_block(p->key, counter++, nonce, next);
    size_t n = len < 32 ? len : 32;
    memcpy(o, next + 32, n);
    o += n;
    len -= n;
    while (len) {
        chacha20_block(p->key, counter++, nonce, block);
        n = len < CHACHA20_BLOCK ? len : CHACHA20_BLOCK;
        memcpy(o, block, n);
        o += n;
        len -= n;
    }
    for (int i = 0; i < 8; i++)
        p->key[i] = load32(next + 4 * i);
    memset(next, 0, sizeof(next));
    memset(block, 0, sizeof(block));
}
