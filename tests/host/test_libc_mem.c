/* libc/mem.c (the riscv64 images' memset, memcpy, memmove, built here as lc_*) against plain
 * byte loops: every destination and source offset within two words, lengths from 0 to past
 * four words and some long ones, overlaps in both directions for memmove; bytes around the
 * destination must stay as they were. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

void *lc_memset(void *dst, int c, size_t n);
void *lc_memcpy(void *restrict dst, const void *restrict src, size_t n);
void *lc_memmove(void *dst, const void *src, size_t n);

#define AREA 2048u
static const size_t lengths[] = {0,  1,  2,  3,  7,  8,  9,  15, 16, 17,  23,  24,  31,
                                 32, 33, 39, 40, 47, 48, 63, 64, 65, 100, 255, 256, 1000};

static _Alignas(16) unsigned char got[AREA], want[AREA], src[AREA];

#define N_LENGTHS (sizeof(lengths) / sizeof(lengths[0]))

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 131u + seed * 7u + 1u);
}

/* got and want alike again: each case then changes want as the byte loop would. */
static void reset(unsigned seed)
{
    fill(got, AREA, seed);
    fill(want, AREA, seed);
}

static void memset_matches_byte_loop(void **state)
{
    (void)state;
    for (size_t off = 0; off < 16; off++)
        for (size_t k = 0; k < N_LENGTHS; k++) {
            size_t n = lengths[k];
            reset(1);
            for (size_t i = 0; i < n; i++)
                want[64 + off + i] = 0xc3;
            assert_ptr_equal(lc_memset(got + 64 + off, 0x1c3, n), got + 64 + off);
            assert_memory_equal(got, want, AREA);
        }
}

static void memcpy_matches_byte_loop(void **state)
{
    (void)state;
    fill(src, AREA, 2);
    for (size_t doff = 0; doff < 16; doff++)
        for (size_t soff = 0; soff < 16; soff++)
            for (size_t k = 0; k < N_LENGTHS; k++) {
                size_t n = lengths[k];
                reset(3);
                for (size_t i = 0; i < n; i++)
                    want[64 + doff + i] = src[64 + soff + i];
                assert_ptr_equal(lc_memcpy(got + 64 + doff, src + 64 + soff, n), got + 64 + doff);
                assert_memory_equal(got, want, AREA);
            }
}

/* Source and destination in one area, at every distance up to 40 bytes either way. */
static void memmove_handles_overlap_both_ways(void **state)
{
    (void)state;
    for (size_t base = 0; base < 16; base++)
        for (int dist = -40; dist <= 40; dist++)
            for (size_t k = 0; k < N_LENGTHS; k++) {
                size_t n = lengths[k];
                size_t s = 200 + base, d = (size_t)((long)s + dist);
                reset(4);
                unsigned char tmp[AREA];
                for (size_t i = 0; i < n; i++)
                    tmp[i] = want[s + i];
                for (size_t i = 0; i < n; i++)
                    want[d + i] = tmp[i];
                assert_ptr_equal(lc_memmove(got + d, got + s, n), got + d);
                assert_memory_equal(got, want, AREA);
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(memset_matches_byte_loop),
        cmocka_unit_test(memcpy_matches_byte_loop),
        cmocka_unit_test(memmove_handles_overlap_both_ways),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
