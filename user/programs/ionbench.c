/* ionbench: what crossing into the kernel costs a user fiber, timed with the kernel's clock.
 *   ionbench [n]   the null system call (getpid) and the CMD_BLK_INFO round trip (post, enter,
 *                  wait for the completion, take it) on the capability in slot 0, n times each
 * One BENCH line per figure: BENCH test=<name> path=ion ops=<n> ns=<total> ns_per_op=<mean>. */
#include <stdio.h>
#include <stdlib.h>

#include <nexus.h>
#include <nexus_blk.h>

static void report(const char *name, unsigned long n, uint64_t ns)
{
    printf("BENCH test=%s path=ion ops=%lu ns=%llu ns_per_op=%llu\n", name, n,
           (unsigned long long)ns, (unsigned long long)(ns / n));
}

int main(int argc, char **argv)
{
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
    struct BlkInfo info;

    if (n == 0 || argc > 2)
        return printf("usage: ionbench [n]\n"), 2;
    uint64_t t0 = nexus_time_ns();
    for (unsigned long i = 0; i < n; i++)
        (void)nexus_getpid();
    report("ion_null_syscall", n, nexus_time_ns() - t0);

    long rc = nexus_blk_info(0, &info); /* sets the channel up outside the timing */
    if (rc < 0)
        return printf("ionbench: slot 0: %s\n", ion_error_message(rc)), 1;
    t0 = nexus_time_ns();
    for (unsigned long i = 0; i < n; i++)
        if ((rc = nexus_blk_info(0, &info)) < 0)
            return printf("ionbench: info: %s\n", ion_error_message(rc)), 1;
    report("ion_blk_info", n, nexus_time_ns() - t0);
    return 0;
}
