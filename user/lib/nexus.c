/* The Membrane's system calls: ecall with the number in a7 and arguments in a0..a2; the kernel
 * answers in a0. */
#include <abi/syscall.h>
#include <nexus.h>

long nexus_syscall(long nr, long a0, long a1, long a2)
{
    register long r_a0 __asm__("a0") = a0;
    register long r_a1 __asm__("a1") = a1;
    register long r_a2 __asm__("a2") = a2;
    register long r_a7 __asm__("a7") = nr;
    __asm__ volatile("ecall" : "+r"(r_a0) : "r"(r_a1), "r"(r_a2), "r"(r_a7) : "memory");
    return r_a0;
}

long nexus_syscall5(long nr, long a0, long a1, long a2, long a3, long a4)
{
    register long r_a0 __asm__("a0") = a0;
    register long r_a1 __asm__("a1") = a1;
    register long r_a2 __asm__("a2") = a2;
    register long r_a3 __asm__("a3") = a3;
    register long r_a4 __asm__("a4") = a4;
    register long r_a7 __asm__("a7") = nr;
    __asm__ volatile("ecall"
                     : "+r"(r_a0)
                     : "r"(r_a1), "r"(r_a2), "r"(r_a3), "r"(r_a4), "r"(r_a7)
                     : "memory");
    return r_a0;
}

void nexus_exit(int status)
{
    nexus_syscall(SYS_EXIT, status, 0, 0);
    for (;;)
        ;
}

long nexus_write(const void *buf, size_t len)
{
    return nexus_syscall(SYS_WRITE, (long)buf, (long)len, 0);
}

long nexus_read(void *buf, size_t len)
{
    return nexus_syscall(SYS_READ, (long)buf, (long)len, 0);
}

void nexus_yield(void)
{
    nexus_syscall(SYS_YIELD, 0, 0, 0);
}

long nexus_sleep_ns(uint64_t ns)
{
    return nexus_syscall(SYS_SLEEP, (long)ns, 0, 0);
}

/* The time CSR, scaled as the kernel scales it (kernel/timer.c): no system call per reading once
 * the timebase is known. */
uint64_t nexus_time_ns(void)
{
    static uint64_t hz;
    uint64_t t;
    if (!hz) {
        long h = nexus_syscall(SYS_TIMEBASE, 0, 0, 0);
        if (h <= 0)
            return (uint64_t)nexus_syscall(SYS_TIME, 0, 0, 0);
        hz = (uint64_t)h;
    }
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t / hz * 1000000000u + t % hz * 1000000000u / hz;
}

uint64_t nexus_walltime(void)
{
    return (uint64_t)nexus_syscall(SYS_WALLTIME, 0, 0, 0);
}

long nexus_getpid(void)
{
    return nexus_syscall(SYS_GETPID, 0, 0, 0);
}

long nexus_getrandom(void *buf, size_t len)
{
    return nexus_syscall(SYS_GETRANDOM, (long)buf, (long)len, 0);
}

long nexus_console_getc(void)
{
    return nexus_syscall(SYS_CONSOLE_GETC, 0, 0, 0);
}

long nexus_console_stats(struct console_stats *out)
{
    return nexus_syscall(SYS_CONSOLE_STATS, (long)out, 0, 0);
}

long nexus_service(int argc, char *const argv[])
{
    return nexus_syscall(SYS_SERVICE, (long)argv, argc, 0);
}

long nexus_service_info(unsigned index, struct service_info *out)
{
    return nexus_syscall(SYS_SERVICE_LIST, (long)index, (long)out, 0);
}
