/* IPv4 facts the kernel's reports and the user's tools print alike. */
#ifndef ABI_IPV4_H
#define ABI_IPV4_H

#include <stdint.h>

/* The prefix length of a netmask (255.255.255.0 -> 24): its leading one bits. */
static inline unsigned ipv4_prefix_len(uint32_t mask)
{
    unsigned n = 0;
    while (mask & 0x80000000u) {
        n++;
        mask <<= 1;
    }
    return n;
}

#endif
