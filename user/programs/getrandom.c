/* getrandom: N bytes (default 16) from the kernel's entropy pool through SYS_GETRANDOM, in hex;
 * then what the call answers for a kernel buffer, an unknown flag and no bytes. */
#include <stdio.h>
#include <stdlib.h>

#include <abi/syscall.h>
#include <nexus.h>

static unsigned char buf[256];

int main(int argc, char **argv)
{
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 16;

    if (n == 0 || n > sizeof(buf))
        return printf("usage: getrandom [1..256]\n"), 2;
    long rc = nexus_getrandom(buf, n);
    if (rc < 0)
        return printf("getrandom: error %ld\n", rc), 1;
    printf("getrandom %ld:", rc);
    for (long i = 0; i < rc; i++)
        printf(" %02x", buf[i]);
    printf("\n");
    printf("getrandom bad: %ld %ld %ld\n", nexus_syscall(SYS_GETRANDOM, (long)0x80200000ul, 16, 0),
           nexus_syscall(SYS_GETRANDOM, (long)buf, 16, 1),
           nexus_syscall(SYS_GETRANDOM, (long)buf, 0, 0));
    return 0;
}
