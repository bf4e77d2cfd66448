/* Kernel entry from OpenSBI: a0 = hart id, a1 = DTB. Sets up tp, the stack and BSS, then calls
 * kmain on hart 0. Another hart that wins OpenSBI's boot lottery starts hart 0 through SBI HSM
 * and stops itself, so the kernel always runs on hart 0 (whose PLIC context the DTB names). */
#define SBI_EXT_HSM 0x48534D

    .section .text.entry, "ax"
    .globl _start
_start:
    csrw sie, zero
    csrci sstatus, 2            /* SIE off until kmain is ready */
    li t0, (1 << 13)
    csrs sstatus, t0            /* FPU state "initial": compiled code may use FP registers */
    mv s0, a0
    mv s1, a1
    bnez a0, not_hart0

boot:
    .option push
    .option norelax
    la tp, __tls_base
    .option pop
    la sp, __stack_top
    la t0, __tbss_start         /* thread-local bss and bss are one zeroed range */
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  mv a0, s0
    mv a1, s1
    call kmain
    j park

not_hart0:
    li a7, SBI_EXT_HSM
    li a6, 0                    /* hart_start(0, _start, dtb) */
    li a0, 0
    la a1, _start
    mv a2, s1
    ecall
    bnez a0, boot               /* no hart 0 to start: boot here after all */
    li a7, SBI_EXT_HSM
    li a6, 1                    /* hart_stop */
    ecall
park:
    csrw sie, zero
3:  wfi
    j 3b
