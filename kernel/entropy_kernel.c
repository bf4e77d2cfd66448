/* The kernel's one entropy pool (kernel/entropy.c does the arithmetic): a lock, the list of
 * sources that fed it, the fallback seed from timer jitter and the time CSR taken before the
 * devices come up, and the boot line that says what seeded the pool. Never blocks: a draw
 * before any device fed the pool gets the fallback's quality, which the boot log names. */
#include <stdio.h>
#include <string.h>

#include <kernel/cpu.h>
#include <kernel/entropy.h>
#include <kernel/init.h>

#define MAX_SOURCES    4
#define JITTER_SAMPLES 256u

struct source {
    const char *name;
    uint64_t bytes;
};

static struct entropy_pool pool;
static struct source sources[MAX_SOURCES];
static unsigned n_sources;

static void note_source(const char *name, size_t len)
{
    for (unsigned i = 0; i < n_sources; i++) {
        if (sources[i].name == name || strcmp(sources[i].name, name) == 0) {
            sources[i].bytes += len;
            return;
        }
    }
    if (n_sources < MAX_SOURCES)
        sources[n_sources++] = (struct source){name, len};
}

void entropy_add(const void *buf, size_t len, const char *source)
{
    unsigned long s = cpu_irq_save();
    entropy_pool_add(&pool, buf, len);
    if (source && len)
        note_source(source, len);
    cpu_irq_restore(s);
}

void entropy_get(void *out, size_t len)
{
    /* the draw's time keeps two draws apart even on a pool nothing fed */
    uint64_t now = cpu_rdtime();
    unsigned long s = cpu_irq_save();
    entropy_pool_add(&pool, &now, sizeof(now));
    entropy_pool_read(&pool, out, len);
    cpu_irq_restore(s);
}

bool entropy_seeded(void)
{
    return n_sources > 0;
}

/* The fallback: how long bits of work take, read from the time CSR, varies with caches, the
 * host's scheduling (under QEMU) and interrupts; the low bits of each delta and the time itself
 * go into the pool. Weak (an observer who can time the boot can guess much of it), so the boot
 * line says when nothing better came. */
static int entropy_jitter_seed(void)
{
    uint64_t samples[JITTER_SAMPLES];
    uint8_t scratch[CHACHA20_BLOCK];
    uint32_t key[8] = {0}, nonce[3] = {0};

    for (unsigned i = 0; i < JITTER_SAMPLES; i++) {
        uint64_t t0 = cpu_rdtime();
        for (unsigned j = 0; j <= (t0 & 7u); j++)
            chacha20_block(key, j, nonce, scratch);
        key[i & 7u] ^= scratch[0];
        uint64_t t1 = cpu_rdtime();
        samples[i] = (t1 - t0) ^ t1 << 16;
    }
    unsigned long s = cpu_irq_save();
    entropy_pool_add(&pool, samples, sizeof(samples));
    cpu_irq_restore(s);
    return 0;
}
KERNEL_INIT(INIT_BUS, entropy_jitter_seed);

/* After the devices: one line naming what seeded the pool. */
static int entropy_report(void)
{
    if (n_sources == 0) {
        printf("entropy: no entropy device; the pool is seeded from timer jitter and the time "
               "CSR only (weak)\n");
        return 0;
    }
    printf("entropy: pool seeded by");
    for (unsigned i = 0; i < n_sources; i++)
        printf("%s %s (%llu bytes)", i ? "," : "", sources[i].name,
               (unsigned long long)sources[i].bytes);
    printf("\n");
    return 0;
}
KERNEL_INIT(INIT_SERVICES, entropy_report);
