/* User program entry: the kernel starts a fiber here with a0 = argc, a1 = argv and sp on its
 * user stack. Points tp at the program's TLS block (the C library's errno), zeroes .tbss and .bss
 * (the loader maps them zeroed already; this keeps the program honest without it), runs main
 * and exits with its result. */
    .section .text.entry, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la tp, __tls_base
    .option pop
    mv s0, a0
    mv s1, a1
    la t0, __tbss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  mv a0, s0
    mv a1, s1
    call main
    call exit                   /* the C library's: flushes stdout through _exit */
3:  j 3b
