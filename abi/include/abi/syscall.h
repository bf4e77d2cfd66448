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
 *   SYS_WAIT       (id): waits for a child to end; its exit status
 *   SYS_CAP_GRANT  (slot, child, rights): a copy in the child's CSpace; its slot there
 *   SYS_CAP_REVOKE (slot): removes every copy derived from the slot's capability; how many
 *   SYS_KILL       (id): ends a child; 0
 * Serving an endpoint (the VFS channel's commands from other fibers, kernel/dispatch/endpoint.c):
 *   SYS_EP_SERVE   (disk slot + 1, or 0): makes an endpoint this fiber serves ("vfs0", ...),
 *                  holding that disk alone from then on; its number
 *   SYS_EP_RECV    (struct ep_msg *): waits for the next command; 0
 *   SYS_EP_COPY    (token, to_client, client_addr, own_addr, len): copies between the client's
 *                  memory (checked through its table) and this fiber's; len
 *   SYS_EP_REPLY   (token, result): the command's completion for the client; 0 */
#define SYS_ION_SETUP  10
#define SYS_ION_ENTER  11
#define SYS_CAP_INFO   12
#define SYS_CAP_DROP   13
#define SYS_SPAWN      14
#define SYS_WAIT       15
#define SYS_CAP_GRANT  16
#define SYS_CAP_REVOKE 17
#define SYS_KILL       18
#define SYS_EP_SERVE   22
#define SYS_EP_RECV    23
#define SYS_EP_COPY    24
#define SYS_EP_REPLY   25

#endif
