/* The system-call ABI between user fibers and the kernel: `ecall` with the call number in a7,
 * arguments in a0..a5, the result (>= 0, or -errno) in a0. Shared by the kernel's dispatch
 * (kernel/syscall.c) and the user library (user/lib); nothing else belongs here. Only what must
 * be a call is a call; everything else will travel as ION commands. */
#ifndef ABI_SYSCALL_H
#define ABI_SYSCALL_H

#define SYS_EXIT   1 /* (status): never returns */
#define SYS_WRITE  2 /* (buf, len): console output; bytes written */
#define SYS_READ   3 /* (buf, len): console input; waits for one byte, returns what is there */
#define SYS_YIELD  4 /* (): lets every other ready fiber run first */
#define SYS_SLEEP  5 /* (ns): sleeps at least that long */
#define SYS_TIME   6 /* (): nanoseconds since boot */
#define SYS_GETPID 7 /* (): this fiber's id */
/* (buf, len, flags = 0): fills buf with up to 65536 bytes from the kernel's entropy pool;
 * bytes written, -EINVAL (flags), -EFAULT */
#define SYS_GETRANDOM 20

/* ION (abi/ion.h) and capabilities, served by the kernel's dispatch (kernel/dispatch). */
#define SYS_ION_SETUP 10 /* (entries, struct ion_params *): the fiber's command channel; 0 */
#define SYS_ION_ENTER                                                                              \
    11                  /* (min_complete): takes every posted command, then waits until at least   \
                           min_complete completions are unread; the commands taken */
#define SYS_CAP_INFO 12 /* (slot, struct cap_info *): what the slot holds; 0 */
#define SYS_CAP_DROP 13 /* (slot): gives the capability up; 0 */

#endif
