/* One way to read a number a user typed, for the shell (user space) and the kernel's shell
 * services alike: decimal unless it starts with 0x; a leading zero never makes a number octal
 * (010 is ten). Never prints: the caller knows what the number was for and says so. */
#ifndef ABI_PARSE_UINT_H
#define ABI_PARSE_UINT_H

#include <errno.h>
#include <stdint.h>

static inline int parse_uint_digit(char c, unsigned base)
{
    unsigned v;
    if (c >= '0' && c <= '9')
        v = (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
        v = (unsigned)(c - 'a') + 10;
    else if (c >= 'A' && c <= 'F')
        v = (unsigned)(c - 'A') + 10;
    else
        return -1;
    return v < base ? (int)v : -1;
}

/* Parses s (no larger than max) into *out: 0, or -EINVAL for anything else (empty, signed,
 * spaces, trailing characters, out of range). */
static inline int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    unsigned base = 10;
    uint64_t v = 0;

    if (!s || !out)
        return -EINVAL;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (*s == '\0')
        return -EINVAL;
    for (; *s; s++) {
        int d = parse_uint_digit(*s, base);
        if (d < 0 || (uint64_t)d > max || v > (max - (uint64_t)d) / base)
            return -EINVAL;
        v = v * base + (uint64_t)d;
    }
    *out = v;
    return 0;
}

#endif
