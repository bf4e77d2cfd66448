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
/* (): ticks per second of the time CSR, which user code may read itself (rdtime): nanoseconds
 * since boot are rdtime scaled by it (nexus_time_ns), with no call per reading */
#define SYS_TIMEBASE 32
/* (buf, len, flags = 0): fills buf with up to 65536 bytes from the kernel's entropy pool;
 * bytes written, -EINVAL (flags), -EFAULT */
#define SYS_GETRANDOM 20
/* (): wall-clock nanoseconds since 1970-01-01 UTC (abi/walltime.h formats them), 0 when the
 * kernel has no real-time clock; read as unsigned */
#define SYS_WALLTIME 21

/* ION (abi/ion.h) and capabilities, served by the kernel's dispatch (kernel/dispatch).
 *   SYS_ION_SETUP  (entries, struct ion_params *): the fiber's command channel; 0
 *   SYS_ION_ENTER  (min_complete): takes every posted command, then waits until at least
 *                  min_complete completions are unread; the commands taken
 *   SYS_CAP_INFO   (slot, struct cap_info *): what the slot holds; 0
 *   SYS_CAP_DROP   (slot): gives the capability up; 0
 *   SYS_SPAWN      (name, argv, argc, const struct spawn_cap *, ncaps): starts an embedded
 *                  program as the caller's child with copies of the caller's capabilities (only
 *                  where it holds the grant right, never with more rights) in slots 0, 1, ...;
 *                  the child's fiber id
 *   SYS_SPAWN_IMAGE (const struct spawn_image *, argv, argc, caps, ncaps): the same for an
 *                  ELF image in the caller's memory (a program read from a file)
 *   SYS_WAIT       (id, timeout_ns): waits for a child to end (0: however long it takes); its
 *                  exit status, or -ETIMEDOUT
 *   SYS_CAP_MINT   (name, rights, int *holder): for the machine capability's holder (the
 *                  shell), a new capability to the object `name` names; its slot (rights 0:
 *                  only whether it could; -EBUSY and the VFS endpoint at holder for a disk
 *                  NexFS mounted)
 *   SYS_CAP_GRANT  (slot, child, rights): a copy in the child's CSpace; its slot there
 *   SYS_CAP_REVOKE (slot): removes every copy derived from the slot's capability; how many
 *   SYS_KILL       (id): ends a child (any user fiber for the machine capability's holder); 0
 * Serving an endpoint (the VFS channel's commands from other fibers, kernel/dispatch/endpoint.c):
 *   SYS_EP_SERVE   (disk slot + 1, or 0): makes an endpoint this fiber serves ("vfs0", ...),
 *                  holding that disk alone from then on; its number
 *   SYS_EP_RECV    (struct ep_msg *): waits for the next command; 0
 *   SYS_EP_COPY    (token, to_client, client_addr, own_addr, len): copies between the client's
 *                  memory (checked through its table) and this fiber's; len
 *   SYS_EP_REPLY   (token, result): the command's completion for the client; 0 */
#define SYS_ION_SETUP   10
#define SYS_ION_ENTER   11
#define SYS_CAP_INFO    12
#define SYS_CAP_DROP    13
#define SYS_SPAWN       14
#define SYS_WAIT        15
#define SYS_CAP_GRANT   16
#define SYS_CAP_REVOKE  17
#define SYS_KILL        18
#define SYS_EP_SERVE    22
#define SYS_EP_RECV     23
#define SYS_EP_COPY     24
#define SYS_EP_REPLY    25
#define SYS_CAP_MINT    26
#define SYS_SPAWN_IMAGE 31

/* The console and the kernel's shell services, for the shell (kernel/services):
 *   SYS_CONSOLE_GETC  (): the next input byte, or 0x100 where typed-ahead input was lost;
 *                     waits for one
 *   SYS_CONSOLE_STATS (struct console_stats *): Ctrl-C presses and lost bytes so far; 0
 *   SYS_SERVICE       (argv, argc): runs the kernel's service argv[0] (a report of kernel state,
 *                     a device setting, an in-kernel benchmark), which prints on the console and
 *                     checks the caller's capabilities itself; its result, -ENOENT for no such
 *                     service
 *   SYS_SERVICE_LIST  (index, struct service_info *): the index-th service's name, usage and
 *                     help (for `help`); 0, or -ENOENT past the last */
#define SYS_CONSOLE_GETC  27
#define SYS_CONSOLE_STATS 28
#define SYS_SERVICE       29
#define SYS_SERVICE_LIST  30

#define CONSOLE_GETC_LOST 0x100
struct console_stats {
    unsigned ctrl_c;         /* Ctrl-C bytes received */
    unsigned ctrl_c_dropped; /* of those, dropped with lost input (never returned) */
    unsigned lost_bytes;     /* bytes dropped because the buffer was full */
    unsigned buffer;         /* bytes of typed-ahead input the console keeps */
};
struct service_info {
    char name[16];
    char usage[96];
    char help[112];
};

#endif
