/* System calls served above the base layer (ION ring set-up and entry, capabilities) register
 * here; kernel/syscall.c serves the rest itself and answers -ENOSYS for a number nobody took. */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#define SYSCALL_MAX 32 /* numbers 0..SYSCALL_MAX-1 */

/* A handler gets the call's six arguments (a0..a5) and returns >= 0 or -errno. It runs in the
 * calling fiber with interrupts enabled (disabled for SYSCALL_IRQ_OFF) and may sleep. */
typedef long (*syscall_fn)(const unsigned long a[6]);

/* Flags of a registered call. SYSCALL_IRQ_OFF: the handler runs with interrupts disabled. For
 * a hot call whose work is short and that sleeps only through os_event_wait (which lets
 * interrupts in while it sleeps): switching them on and off again would cost two CSR writes,
 * each of which sends QEMU's TCG back to its main loop. */
#define SYSCALL_IRQ_OFF 1u

/* 0, or -EINVAL (number out of range or served by the base, unknown flags), -EEXIST (taken). */
int syscall_register(unsigned nr, syscall_fn fn, unsigned flags);

#endif
