/* Traps from U-mode: system calls (abi/syscall.h), faults and interrupts. Every pointer and
 * length a fiber passes is checked through its own page table (vm_copyin/vm_copyout); a fault is
 * reported in one block and ends the fiber, never the kernel. */
#include <errno.h>
#include <stdio.h>

#include <abi/syscall.h>
#include <kernel/console.h>
#include <kernel/cpu.h>
#include <kernel/entropy.h>
#include <kernel/fiber.h>
#include <kernel/kernel.h>
#include <kernel/syscall.h>
#include <kernel/trap.h>
#include <kernel/vm.h>

#include "fiber_priv.h"

#define SCAUSE_INTERRUPT (1ul << 63)
#define CAUSE_ECALL_U    8u
#define IO_CHUNK         256u

static syscall_fn registered[SYSCALL_MAX];
static unsigned registered_flags[SYSCALL_MAX];

int syscall_register(unsigned nr, syscall_fn fn, unsigned flags)
{
    if (nr >= SYSCALL_MAX || nr <= SYS_GETPID || !fn || (flags & ~SYSCALL_IRQ_OFF))
        return -EINVAL;
    if (registered[nr])
        return -EEXIST;
    registered[nr] = fn;
    registered_flags[nr] = flags;
    return 0;
}

static long sys_write(uint64_t buf, uint64_t len)
{
    char chunk[IO_CHUNK + 1];
    uint64_t done = 0;

    while (done < len) {
        size_t n = len - done < IO_CHUNK ? (size_t)(len - done) : IO_CHUNK;
        if (vm_copyin(fiber_space(), chunk, buf + done, n))
            return done ? (long)done : -EFAULT;
        chunk[n] = '\0';
        fwrite(chunk, 1, n, stdout);
        done += n;
    }
    fflush(stdout);
    return (long)done;
}

static long sys_read(uint64_t buf, uint64_t len)
{
    if (len == 0)
        return 0;
    if (!vm_translate(fiber_space(), buf, VM_W))
        return -EFAULT;
    int c = console_getc(); /* sleeps this fiber until a byte arrives */
    if (fiber_killed())
        return -EINTR;
    char ch = (char)c;
    return vm_copyout(fiber_space(), buf, &ch, 1) ? -EFAULT : 1;
}

/* The shell's console input: every byte, Ctrl-C included, and the mark where typed-ahead input
 * was lost (which one byte of SYS_READ cannot carry). */
static long sys_console_getc(void)
{
    int c = console_getc();
    return fiber_killed() ? -EINTR : c;
}

static long sys_console_stats(uint64_t out)
{
    struct console_input_stats in;
    struct console_stats st;

    console_input_stats(&in);
    st = (struct console_stats){in.ctrl_c, in.ctrl_c_dropped, in.lost_bytes, CONSOLE_RX_BUFFER};
    return vm_copyout(fiber_space(), out, &st, sizeof(st)) ? -EFAULT : 0;
}

static long sys_sleep(uint64_t ns)
{
    uint64_t deadline = time_ns() + ns;

    while (!fiber_killed() && (int64_t)(time_ns() - deadline) < 0)
        fiber_sleep(&deadline, deadline);
    return 0;
}

#define GETRANDOM_MAX 65536u

static long sys_getrandom(uint64_t buf, uint64_t len, uint64_t flags)
{
    uint8_t chunk[IO_CHUNK];
    uint64_t done = 0;

    if (flags != 0)
        return -EINVAL;
    if (len > GETRANDOM_MAX)
        len = GETRANDOM_MAX;
    while (done < len) {
        size_t n = len - done < IO_CHUNK ? (size_t)(len - done) : IO_CHUNK;
        entropy_get(chunk, n);
        if (vm_copyout(fiber_space(), buf + done, chunk, n))
            return done ? (long)done : -EFAULT;
        done += n;
    }
    return (long)done;
}

static long syscall(struct trap_frame *f)
{
    unsigned long *a = &f->regs[REG_A0];

    switch (f->regs[REG_A7]) {
    case SYS_EXIT:
        fiber_exit((int)a[0]);
    case SYS_WRITE:
        return sys_write(a[0], a[1]);
    case SYS_READ:
        return sys_read(a[0], a[1]);
    case SYS_YIELD:
        fiber_yield();
        return 0;
    case SYS_SLEEP:
        return sys_sleep(a[0]);
    case SYS_TIME:
        return (long)time_ns();
    case SYS_TIMEBASE:
        return (long)time_hz();
    case SYS_GETPID:
        return (long)fiber_self();
    case SYS_GETRANDOM:
        return sys_getrandom(a[0], a[1], a[2]);
    case SYS_WALLTIME:
        return (long)walltime_ns();
    case SYS_CONSOLE_GETC:
        return sys_console_getc();
    case SYS_CONSOLE_STATS:
        return sys_console_stats(a[0]);
    }
    unsigned long nr = f->regs[REG_A7];
    return nr < SYSCALL_MAX && registered[nr] ? registered[nr](a) : -ENOSYS;
}

/* One block for a fiber that faulted: which, why, where; then it ends. */
static void __attribute__((noreturn)) fault(struct trap_frame *f)
{
    const struct fiber *self = fiber_current();

    bool overflow = self->ustack_lo && f->stval < self->ustack_lo &&
                    f->stval >= self->ustack_lo - VM_PAGE; /* in the guard page below the stack */
    printf("fiber %u (%s) killed: %s%s (scause 0x%lx)\n"
           "    sepc 0x%016lx  stval 0x%016lx  sp 0x%016lx\n",
           self->id, self->name, trap_cause_name(f->scause), overflow ? ", stack overflow" : "",
           f->scause, f->sepc, f->stval, f->regs[REG_SP]);
    fiber_exit(-EFAULT);
}

void user_trap(struct trap_frame *f)
{
    if (f->scause & SCAUSE_INTERRUPT) {
        (void)trap_interrupt(f);
    } else if (f->scause == CAUSE_ECALL_U) {
        f->sepc += 4;
        unsigned long nr = f->regs[REG_A7];
        if (nr >= SYSCALL_MAX || !(registered_flags[nr] & SYSCALL_IRQ_OFF))
            cpu_irq_enable(); /* a system call may sleep and take interrupts */
        long rc = syscall(f);
        (void)cpu_irq_save();
        f->regs[REG_A0] = (unsigned long)rc;
    } else {
        fault(f);
    }
    /* Before going back to U-mode: a fiber that became ready meanwhile (the tick, console input,
     * a completion: whether the interrupt came in U-mode or during this call) runs first. */
    if (fiber_preempt_wanted())
        fiber_yield();
    if (fiber_killed())
        fiber_exit(-EINTR);
}

_Static_assert(CONSOLE_GETC_LOST == CONSOLE_INPUT_LOST,
               "the ABI's lost-input mark is the console's");
