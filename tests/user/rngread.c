/* rngread: the rng plugin's shim from a user fiber (tests/qemu/test_rng.py).
 *   rngread [n]   n (default 32) bytes through the capability in slot 0, in hex; then what
 *                 the kernel answers for a buffer in kernel memory, a length of 0 and of 4097 */
#include <stdio.h>
#include <stdlib.h>

#include <nexus_rng.h>

static unsigned char buf[4096];

int main(int argc, char **argv)
{
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 32;

    if (n == 0 || n > sizeof(buf))
        return printf("usage: rngread [1..4096]\n"), 2;
    long rc = nexus_rng_read(0, buf, (uint32_t)n);
    if (rc < 0)
        return printf("rngread: error %ld\n", rc), 1;
    printf("rngread %ld:", rc);
    for (long i = 0; i < rc; i++)
        printf(" %02x", buf[i]);
    printf("\n");
    printf("rngread bad: %ld %ld %ld\n", nexus_rng_read(0, (void *)0x80200000ul, 16),
           nexus_rng_read(0, buf, 0), nexus_rng_read(0, buf, 4097));
    return 0;
}
