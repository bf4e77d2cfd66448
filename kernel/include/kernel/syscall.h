/* System calls served above the base layer (ION ring set-up and entry, capabilities) register
 * here; kernel/syscall.c serves the rest itself and answers -ENOSYS for a number nobody took. */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#define SYSCALL_MAX 32 /* numbers 0..SYSCALL_MAX-1 */

/* A handler gets the call's six arguments (a0..a5) and returns >= 0 or -errno. It runs in the
 * calling fiber with interrupts enabled and may sleep. */
typedef long (*syscall_fn)(const unsigned long a[6]);

/* 0, or -EINVAL (number out of range or served by the base), -EEXIST (taken). */
int syscall_register(unsigned nr, syscall_fn fn);

#endif
