/* The Membrane: what a user program calls to reach the kernel. Each function is one system call
 * (abi/syscall.h); results are >= 0, or -errno. */
#ifndef NEXUS_H
#define NEXUS_H

#include <stddef.h>
#include <stdint.h>

void nexus_exit(int status) __attribute__((noreturn));
long nexus_write(const void *buf, size_t len);
long nexus_read(void *buf, size_t len);
void nexus_yield(void);
long nexus_sleep_ns(uint64_t ns);
uint64_t nexus_time_ns(void);
long nexus_getpid(void);
/* Up to 65536 bytes from the kernel's entropy pool: bytes written, or -errno. */
long nexus_getrandom(void *buf, size_t len);
/* The raw call, for tests that hand the kernel what a well-behaved program would not. */
long nexus_syscall(long nr, long a0, long a1, long a2);

#endif
