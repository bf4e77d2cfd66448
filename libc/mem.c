/* memset, memcpy and memmove for the kernel and user images, a word at a time. Debian's
 * picolibc is built for size: its versions move one byte per loop turn (4-6 instructions a
 * byte), which made a third of the instructions of a 4 KiB read through ION (measured with
 * tools/bench/pcprof.py --insns). An archive member is linked only for a symbol still undefined,
 * so these replace picolibc's. Stores and loads are aligned; a source misaligned against the
 * destination is read in aligned words and shifted into place (little-endian): the first of
 * them holds bytes before the source (never past its end), no access crosses a word, let alone
 * a page. Host builds use the host's C library (tests/host/test_libc_mem.c checks these against
 * plain byte loops). Built with
 * -fno-tree-loop-distribute-patterns: the loops must not become calls to themselves. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint64_t __attribute__((may_alias)) word;

#define W sizeof(word)

static int aligned(const void *p)
{
    return (uintptr_t)p % W == 0;
}

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    const word w = (word)(unsigned char)c * 0x0101010101010101ull;

    for (; n && !aligned(d); n--)
        *d++ = (unsigned char)c;
    for (; n >= 4 * W; n -= 4 * W, d += 4 * W) {
        ((word *)d)[0] = w;
        ((word *)d)[1] = w;
        ((word *)d)[2] = w;
        ((word *)d)[3] = w;
    }
    for (; n >= W; n -= W, d += W)
        *(word *)d = w;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

/* Forward copy, safe for an overlap where dst is below src (each word is read before the
 * store that could reach it). */
static void copy_up(unsigned char *d, const unsigned char *s, size_t n)
{
    if (n >= W && ((uintptr_t)d - (uintptr_t)s) % W == 0) {
        for (; !aligned(d); n--)
            *d++ = *s++;
        for (; n >= 4 * W; n -= 4 * W, d += 4 * W, s += 4 * W) {
            word a = ((const word *)s)[0], b = ((const word *)s)[1];
            word c = ((const word *)s)[2], e = ((const word *)s)[3];
            ((word *)d)[0] = a;
            ((word *)d)[1] = b;
            ((word *)d)[2] = c;
            ((word *)d)[3] = e;
        }
        for (; n >= W; n -= W, d += W, s += W)
            *(word *)d = *(const word *)s;
    } else if (n >= 2 * W) {
        for (; !aligned(d); n--)
            *d++ = *s++;
        /* s is misaligned: merge each pair of aligned source words into one store. */
        const unsigned sh = (unsigned)((uintptr_t)s % W) * 8;
        const word *ws = (const word *)((uintptr_t)s - (uintptr_t)s % W);
        word lo = *ws++;
        for (; n >= 2 * W; n -= W, d += W, s += W) { /* hi ends before the source does */
            word hi = *ws++;
            *(word *)d = (lo >> sh) | (hi << (64 - sh));
            lo = hi;
        }
    }
    while (n--)
        *d++ = *s++;
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    copy_up(dst, src, n);
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (d <= s || d >= s + n) {
        copy_up(d, s, n);
        return dst;
    }
    /* dst above an overlapping src: copy down from the end. */
    d += n;
    s += n;
    if (((uintptr_t)d - (uintptr_t)s) % W == 0) {
        for (; n && !aligned(d); n--)
            *--d = *--s;
        for (; n >= W; n -= W) {
            d -= W;
            s -= W;
            *(word *)d = *(const word *)s;
        }
    }
    while (n--)
        *--d = *--s;
    return dst;
}
