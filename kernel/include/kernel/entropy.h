/* The kernel's entropy pool: any source feeds it (a virtio-rng device through os_entropy_add, the
 * timer jitter fallback at boot), and everyone who needs unpredictable numbers draws from it (the
 * network stack's DHCP ids and UDP ports through os_random, user fibers through SYS_GETRANDOM).
 * The pool is a 256-bit ChaCha20 key: input is absorbed by rekeying through the block function
 * (with a feed-forward, so the key cannot be run backwards), output is ChaCha20 keystream under
 * the key, which is replaced from the first block of every draw (fast key erasure). */
#ifndef KERNEL_ENTROPY_H
#define KERNEL_ENTROPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHACHA20_BLOCK 64u

/* One ChaCha20 block (RFC 8439, 2.3): 32-byte key, 32-bit block counter, 12-byte nonce. */
void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
                    uint8_t out[CHACHA20_BLOCK]);

struct entropy_pool {
    uint32_t key[8];
    uint64_t adds;  /* entropy_pool_add calls: part of every absorb's nonce */
    uint64_t reads; /* entropy_pool_read calls: part of every draw's nonce */
};

/* A pool whose key is all zero: predictable until something is added. */
void entropy_pool_init(struct entropy_pool *p);
/* Absorbs len bytes (any length, 0 included: then only the counter moves). */
void entropy_pool_add(struct entropy_pool *p, const void *buf, size_t len);
/* Fills out with len bytes and rekeys the pool, so a later look at the pool never tells what
 * an earlier draw returned. */
void entropy_pool_read(struct entropy_pool *p, void *out, size_t len);

/* The kernel's one pool (kernel/entropy_kernel.c). Safe from any context, interrupts included.
 * entropy_add: `source` names who fed it ("virtio-rng"); the boot summary lists the sources. */
void entropy_add(const void *buf, size_t len, const char *source);
void entropy_get(void *out, size_t len);
/* True once a source other than the jitter fallback fed the pool. */
bool entropy_seeded(void);

#endif
