/* The Membrane: what a user program calls to reach the kernel. Each function is one system call
 * (abi/syscall.h); results are >= 0, or -errno. */
#ifndef NEXUS_H
#define NEXUS_H

#include <stddef.h>
#include <stdint.h>

#include <abi/syscall.h>

void nexus_exit(int status) __attribute__((noreturn));
long nexus_write(const void *buf, size_t len);
long nexus_read(void *buf, size_t len);
void nexus_yield(void);
long nexus_sleep_ns(uint64_t ns);
uint64_t nexus_time_ns(void);
/* Wall-clock nanoseconds since 1970-01-01 UTC, 0 when the kernel has no real-time clock
 * (abi/walltime.h turns them into a date). */
uint64_t nexus_walltime(void);
long nexus_getpid(void);
/* Up to 65536 bytes from the kernel's entropy pool: bytes written, or -errno. */
long nexus_getrandom(void *buf, size_t len);
/* The console's next input byte, Ctrl-C included, or CONSOLE_GETC_LOST where typed-ahead
 * input was lost; and its counters (abi/syscall.h). */
long nexus_console_getc(void);
long nexus_console_stats(struct console_stats *out);
/* Runs the kernel's shell service argv[0] (it prints on the console itself): its result, or
 * -ENOENT when there is none of that name; and the index-th service's name, usage and help. */
long nexus_service(int argc, char *const argv[]);
long nexus_service_info(unsigned index, struct service_info *out);
/* The raw call, for tests that hand the kernel what a well-behaved program would not. */
long nexus_syscall(long nr, long a0, long a1, long a2);
long nexus_syscall5(long nr, long a0, long a1, long a2, long a3, long a4);

#endif
