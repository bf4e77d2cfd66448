/* Host stand-in for <kernel/cpu.h> for test_vm: no CSRs; it counts satp writes and TLB flushes
 * so the test can see when kernel/vm.c asks for them. */
#ifndef KERNEL_CPU_H
#define KERNEL_CPU_H

#include <stdint.h>

extern unsigned test_satp_writes, test_tlb_flushes;
extern uint64_t test_satp;

static inline void cpu_set_satp(uint64_t satp)
{
    test_satp = satp;
    test_satp_writes++;
    test_tlb_flushes++;
}

static inline void cpu_tlb_flush(void)
{
    test_tlb_flushes++;
}

#endif
