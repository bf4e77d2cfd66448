/* riscv64 supervisor-mode CPU primitives: CSR access, interrupt enable, wait-for-interrupt.
 * Header-only and kernel-only; nothing here knows about devices or the platform. */
#ifndef KERNEL_CPU_H
#define KERNEL_CPU_H

#include <stdint.h>

#define SSTATUS_SIE (1ul << 1)
#define SIE_SSIE    (1ul << 1)
#define SIE_STIE    (1ul << 5)
#define SIE_SEIE    (1ul << 9)

/* Lets U-mode read the time CSR (rdtime) without a trap: scounteren's TM bit. */
static inline void cpu_allow_user_time(void)
{
    __asm__ volatile("csrs scounteren, %0" ::"r"(2ul));
}

static inline void cpu_set_sie_bits(unsigned long bits)
{
    __asm__ volatile("csrs sie, %0" ::"r"(bits));
}

static inline void cpu_clear_sie_bits(unsigned long bits)
{
    __asm__ volatile("csrc sie, %0" ::"r"(bits));
}

static inline void cpu_irq_enable(void)
{
    __asm__ volatile("csrs sstatus, %0" ::"r"(SSTATUS_SIE) : "memory");
}

/* Disables interrupts; returns the previous SIE bit for cpu_irq_restore. sstatus is read first
 * and written only when SIE is set, so a nested save (interrupts already off) writes nothing:
 * QEMU's TCG ends its translated block at a CSR write and looks the next one up again. An
 * interrupt between the read and the clear returns with SIE set again: the clear still
 * applies. */
static inline unsigned long cpu_irq_save(void)
{
    unsigned long old;
    __asm__ volatile("csrr %0, sstatus" : "=r"(old)::"memory");
    if (old & SSTATUS_SIE)
        __asm__ volatile("csrc sstatus, %0" ::"r"(SSTATUS_SIE) : "memory");
    return old & SSTATUS_SIE;
}

static inline void cpu_irq_restore(unsigned long state)
{
    if (state & SSTATUS_SIE)
        __asm__ volatile("csrs sstatus, %0" ::"r"(SSTATUS_SIE) : "memory");
}

/* Called with interrupts disabled: sleeps until an interrupt is pending (wfi wakes on a pending
 * enabled source even while sstatus.SIE is clear), opens SIE so the handlers run, then closes
 * it again. "Check the condition, then cpu_wait()" therefore never loses a wake-up. */
static inline void cpu_wait(void)
{
    __asm__ volatile("wfi\n\t"
                     "csrs sstatus, %0\n\t"
                     "nop\n\t"
                     "csrc sstatus, %0" ::"r"(SSTATUS_SIE)
                     : "memory");
}

/* Switches address space (Sv39 satp value) and forgets every cached translation. */
static inline void cpu_set_satp(uint64_t satp)
{
    __asm__ volatile("csrw satp, %0\n\tsfence.vma" ::"r"(satp) : "memory");
}

/* Forgets every cached translation of the current space (after changing its tables). */
static inline void cpu_tlb_flush(void)
{
    __asm__ volatile("sfence.vma" ::: "memory");
}

static inline uint64_t cpu_rdtime(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

#endif
