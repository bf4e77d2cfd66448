/* Supervisor trap handling: dispatches interrupts (timer tick, PLIC external) and reports any
 * other trap (cause by name, sepc, stval, every register), then ends QEMU with a non-zero status.
 * It never tries to recover from an exception. */
#include <stdint.h>
#include <stdio.h>

#include <kernel/boot.h>
#include <kernel/cpu.h>
#include <kernel/fiber.h>
#include <kernel/kernel.h>
#include <kernel/trap.h>

#define TRAP_EXIT_STATUS 3

#define SCAUSE_INTERRUPT (1ul << 63)
#define IRQ_S_SOFT       1
#define IRQ_S_TIMER      5
#define IRQ_S_EXT        9

extern void trap_vector(void);
extern char __trap_stack_top[];

static const char *const exception_names[] = {
    "instruction address misaligned",
    "instruction access fault",
    "illegal instruction",
    "breakpoint",
    "load address misaligned",
    "load access fault",
    "store/AMO address misaligned",
    "store/AMO access fault",
    "environment call from U-mode",
    "environment call from S-mode",
    "reserved (10)",
    "environment call from M-mode",
    "instruction page fault",
    "load page fault",
    "reserved (14)",
    "store/AMO page fault",
};

static const char *const reg_names[32] = {
    "zero", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "s0", "s1", "a0",
    "a1",   "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5",
    "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

const char *trap_cause_name(unsigned long scause)
{
    unsigned long code = scause & ~SCAUSE_INTERRUPT;
    if (scause & SCAUSE_INTERRUPT) {
        switch (code) {
        case IRQ_S_SOFT:
            return "supervisor software interrupt";
        case IRQ_S_TIMER:
            return "supervisor timer interrupt";
        case IRQ_S_EXT:
            return "supervisor external interrupt";
        default:
            return "unknown interrupt";
        }
    }
    if (code < sizeof exception_names / sizeof exception_names[0])
        return exception_names[code];
    return "unknown exception";
}

static void __attribute__((noreturn)) trap_fatal(const struct trap_frame *f, const char *why);

static void __attribute__((noreturn)) trap_fatal(const struct trap_frame *f, const char *why)
{
    static int reporting;
    if (reporting++)
        poweroff(TRAP_EXIT_STATUS); /* the report itself trapped */
    printf("\n*** TRAP: %s (scause 0x%lx)%s\n", trap_cause_name(f->scause), f->scause, why);
    printf("    sepc 0x%016lx  stval 0x%016lx  sstatus 0x%016lx\n", f->sepc, f->stval, f->sstatus);
    for (unsigned i = 0; i < 32; i++) {
        printf("    %-4s 0x%016lx%s", reg_names[i], f->regs[i], i % 4 == 3 ? "\n" : "");
    }
    printf("*** halting: QEMU exits with status %d\n", TRAP_EXIT_STATUS);
    poweroff(TRAP_EXIT_STATUS);
}

void trap_handler(struct trap_frame *f);

void trap_handler(struct trap_frame *f)
{
    if ((uintptr_t)f >= (uintptr_t)__trap_stack_top - 4096 &&
        (uintptr_t)f < (uintptr_t)__trap_stack_top)
        trap_fatal(f, " with sp outside the kernel stack");
    if (!(f->sstatus & SSTATUS_SPP)) {
        user_trap(f); /* from U-mode: the fiber's business, never the kernel's end */
        return;
    }
    if (!(f->scause & SCAUSE_INTERRUPT))
        trap_fatal(f, "");
    (void)trap_interrupt(f);
}

bool trap_interrupt(struct trap_frame *f)
{
    bool resched = false;

    switch (f->scause & ~SCAUSE_INTERRUPT) {
    case IRQ_S_TIMER:
        timer_tick();
        resched = fiber_tick();
        break;
    case IRQ_S_EXT:
        plic_dispatch();
        resched = fiber_preempt_wanted(); /* e.g. console input woke the shell */
        break;
    case IRQ_S_SOFT:
        __asm__ volatile("csrc sip, %0" ::"r"(SIE_SSIE));
        break;
    default:
        trap_fatal(f, "");
    }
    return resched;
}

void trap_init(void)
{
    __asm__ volatile("csrw stvec, %0" ::"r"((uintptr_t)trap_vector));
}
