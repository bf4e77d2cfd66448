/* hello: the smallest user program, and the fiber tests' workhorse. Prints its id and
 * arguments, yields, sleeps, checks its clock against the kernel's, and exits with the status given
 * as its first argument (0). */
#include <stdio.h>
#include <stdlib.h>

#include <abi/syscall.h>
#include <nexus.h>

int main(int argc, char **argv)
{
    printf("hello from fiber %ld in U-mode:", nexus_getpid());
    for (int i = 0; i < argc; i++)
        printf(" [%s]", argv[i]);
    printf("\n");
    nexus_yield();
    uint64_t t0 = nexus_time_ns();
    nexus_sleep_ns(20000000); /* 20 ms */
    printf("hello: slept %llu ms\n", (unsigned long long)((nexus_time_ns() - t0) / 1000000));
    /* The shim reads the clock itself (rdtime): the kernel's readings bracket it. */
    uint64_t k0 = (uint64_t)nexus_syscall(SYS_TIME, 0, 0, 0), u = nexus_time_ns(),
             k1 = (uint64_t)nexus_syscall(SYS_TIME, 0, 0, 0);
    printf("hello: clocks agree: %s\n", k0 <= u && u <= k1 ? "yes" : "no");
    return argc > 1 ? atoi(argv[1]) : 0;
}
