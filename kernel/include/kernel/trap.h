/* The trap frame kernel/trapvec.S saves on the kernel stack for every trap, and the entry points
 * around it. A user fiber's frame sits at the top of its kernel stack: it is the fiber's U-mode
 * state, which the system calls read and write. */
#ifndef KERNEL_TRAP_H
#define KERNEL_TRAP_H

#include <stdbool.h>

#define TRAP_FRAME_SIZE (36 * 8)
#define SSTATUS_SPP     (1ul << 8)
#define SSTATUS_SPIE    (1ul << 5)
#define SSTATUS_FS      (3ul << 13)

struct trap_frame {
    unsigned long regs[32]; /* x0..x31; regs[2] is sp at the time of the trap */
    unsigned long sepc, sstatus, scause, stval;
};

enum { REG_RA = 1, REG_SP = 2, REG_A0 = 10, REG_A1 = 11, REG_A7 = 17 };

/* Interrupt dispatch (timer, PLIC, software) for a frame whose scause is an interrupt. True when
 * the interrupted fiber should yield (a timer tick while it ran in U-mode). */
bool trap_interrupt(struct trap_frame *f);
/* "store/AMO page fault", ... for scause. */
const char *trap_cause_name(unsigned long scause);

/* Restores the frame at sp and returns (sret) into it: where a new user fiber starts. */
void trap_return(void);
/* U-mode traps: system calls, faults (the fiber is reported and killed), and a timer tick that
 * asks the fiber to yield. Called by trap_handler for every trap from U-mode. */
void user_trap(struct trap_frame *f);

#endif
