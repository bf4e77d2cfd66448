/* The supervisor trap vector: saves every register into a struct trap_frame (kernel/trap.h) on
 * the running fiber's kernel stack (or on a small emergency stack when sp is outside it, so a
 * stack overflow is still reported), calls trap_handler(frame), restores and returns with sret.
 * sscratch is 0 while the CPU runs in S-mode and holds the fiber's kernel stack top while it
 * runs in U-mode: that is how a trap tells where it came from before touching memory. */
#define FRAME_SIZE (36 * 8)
#define REG(n) ((n) * 8)
#define F_SEPC    (32 * 8)
#define F_SSTATUS (33 * 8)
#define F_SCAUSE  (34 * 8)
#define F_STVAL   (35 * 8)

    .section .text
    .globl trap_vector
    .balign 4
trap_vector:
    csrrw sp, sscratch, sp
    bnez sp, from_user
    csrrw sp, sscratch, sp      /* from S-mode: sp back, sscratch 0 again */
    csrw sscratch, t0           /* borrow sscratch to free t0 for the stack check */
    la t0, fiber_kstack_lo
    ld t0, 0(t0)
    addi t0, t0, 1024
    bltu sp, t0, bad_stack
    la t0, fiber_kstack_hi
    ld t0, 0(t0)
    bgtu sp, t0, bad_stack
    csrr t0, sscratch
    csrw sscratch, zero
    addi sp, sp, -FRAME_SIZE
    sd t0, REG(5)(sp)
    addi t0, sp, FRAME_SIZE
    sd t0, REG(2)(sp)
    j save_rest

from_user:                      /* sp = the fiber's kernel stack top, sscratch = the user sp */
    addi sp, sp, -FRAME_SIZE
    sd t0, REG(5)(sp)
    csrr t0, sscratch
    sd t0, REG(2)(sp)
    csrw sscratch, zero
    li t0, 0x2000               /* FS "initial": U-mode runs with the FPU off, the kernel not */
    csrs sstatus, t0
    j save_rest

bad_stack:
    csrrw t0, sscratch, sp      /* t0 = its own value again, sscratch = the bad sp */
    la sp, __trap_stack_top - FRAME_SIZE
    sd t0, REG(5)(sp)
    csrr t0, sscratch
    sd t0, REG(2)(sp)

save_rest:
    sd x1, REG(1)(sp)
    sd x3, REG(3)(sp)
    sd x4, REG(4)(sp)
    sd x6, REG(6)(sp)
    sd x7, REG(7)(sp)
    sd x8, REG(8)(sp)
    sd x9, REG(9)(sp)
    sd x10, REG(10)(sp)
    sd x11, REG(11)(sp)
    sd x12, REG(12)(sp)
    sd x13, REG(13)(sp)
    sd x14, REG(14)(sp)
    sd x15, REG(15)(sp)
    sd x16, REG(16)(sp)
    sd x17, REG(17)(sp)
    sd x18, REG(18)(sp)
    sd x19, REG(19)(sp)
    sd x20, REG(20)(sp)
    sd x21, REG(21)(sp)
    sd x22, REG(22)(sp)
    sd x23, REG(23)(sp)
    sd x24, REG(24)(sp)
    sd x25, REG(25)(sp)
    sd x26, REG(26)(sp)
    sd x27, REG(27)(sp)
    sd x28, REG(28)(sp)
    sd x29, REG(29)(sp)
    sd x30, REG(30)(sp)
    sd x31, REG(31)(sp)
    sd zero, REG(0)(sp)
    csrr t0, sepc
    sd t0, F_SEPC(sp)
    csrr t0, sstatus
    sd t0, F_SSTATUS(sp)
    csrr t0, scause
    sd t0, F_SCAUSE(sp)
    csrr t0, stval
    sd t0, F_STVAL(sp)

    mv a0, sp
    call trap_handler

    /* Also where a new user fiber starts: sp points at the frame to return into. */
    .globl trap_return
trap_return:
    ld t0, F_SEPC(sp)
    csrw sepc, t0
    ld t0, F_SSTATUS(sp)        /* SIE in it is 0: nothing can trap until sret */
    andi t1, t0, 0x100          /* SPP: going back to S-mode? */
    bnez t1, 1f
    li t1, 0x6000               /* to U-mode: FPU off (FS = 0) */
    not t1, t1
    and t0, t0, t1
    csrw sstatus, t0
    addi t0, sp, FRAME_SIZE     /* the next trap from U-mode lands on this stack's top */
    csrw sscratch, t0
    j 2f
1:  csrw sstatus, t0
2:
    ld x1, REG(1)(sp)
    ld x3, REG(3)(sp)
    ld x4, REG(4)(sp)
    ld x5, REG(5)(sp)
    ld x6, REG(6)(sp)
    ld x7, REG(7)(sp)
    ld x8, REG(8)(sp)
    ld x9, REG(9)(sp)
    ld x10, REG(10)(sp)
    ld x11, REG(11)(sp)
    ld x12, REG(12)(sp)
    ld x13, REG(13)(sp)
    ld x14, REG(14)(sp)
    ld x15, REG(15)(sp)
    ld x16, REG(16)(sp)
    ld x17, REG(17)(sp)
    ld x18, REG(18)(sp)
    ld x19, REG(19)(sp)
    ld x20, REG(20)(sp)
    ld x21, REG(21)(sp)
    ld x22, REG(22)(sp)
    ld x23, REG(23)(sp)
    ld x24, REG(24)(sp)
    ld x25, REG(25)(sp)
    ld x26, REG(26)(sp)
    ld x27, REG(27)(sp)
    ld x28, REG(28)(sp)
    ld x29, REG(29)(sp)
    ld x30, REG(30)(sp)
    ld x31, REG(31)(sp)
    ld x2, REG(2)(sp)
    sret
