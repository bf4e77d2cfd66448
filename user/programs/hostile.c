/* hostile: a user program that does, on request, what no program may: each attempt must end in
 * an error from the kernel or in this fiber's death with a report, and never harm the kernel or
 * another fiber. `hostile ATTEMPT`; the attempts are listed by `hostile` alone. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <nexus.h>

#define KERNEL_TEXT 0x80200000ul /* where QEMU loads the kernel: mapped, but never for U-mode */

/* Deliberately without end: it runs into the guard page below the user stack. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int recurse(int depth)
{
    volatile char pad[256];
    pad[0] = (char)depth;
    return recurse(depth + 1) + pad[0];
}
#pragma GCC diagnostic pop

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";

    if (strcmp(what, "kread") == 0) {
        printf("hostile: reading kernel memory\n");
        printf("read 0x%lx\n", *(volatile unsigned long *)KERNEL_TEXT);
    } else if (strcmp(what, "kwrite") == 0) {
        printf("hostile: writing kernel memory\n");
        *(volatile unsigned long *)KERNEL_TEXT = 0;
    } else if (strcmp(what, "kjump") == 0) {
        printf("hostile: jumping into kernel text\n");
        ((void (*)(void))KERNEL_TEXT)();
    } else if (strcmp(what, "priv") == 0) {
        printf("hostile: a privileged instruction\n");
        __asm__ volatile(".word 0x10001073"); /* csrw sstatus, zero */
    } else if (strcmp(what, "wfi") == 0) {
        printf("hostile: wfi\n");
        __asm__ volatile("wfi");
        printf("hostile: wfi returned\n"); /* the spec lets U-mode wfi trap or not */
        return 0;
    } else if (strcmp(what, "stack") == 0) {
        printf("hostile: overflowing the stack\n");
        return recurse(0);
    } else if (strcmp(what, "textwrite") == 0) {
        printf("hostile: writing its own code\n");
        *(volatile uint32_t *)(uintptr_t)main = 0;
    } else if (strcmp(what, "badptr") == 0) {
        /* Pointers into the kernel, unmapped space, and across the address-space edge. */
        long a = nexus_write((const void *)KERNEL_TEXT, 16);
        long b = nexus_write((const void *)0x2000000000ul, 16);
        long c = nexus_write((const void *)(0x4000000000ul - 8), 16);
        long d = nexus_read((void *)main, 1); /* read-only text as a read buffer */
        long e = nexus_syscall(999, 0, 0, 0);
        printf("hostile: badptr %ld %ld %ld %ld %ld\n", a, b, c, d, e);
        return 0;
    } else {
        printf("hostile: kread kwrite kjump priv wfi stack textwrite badptr\n");
        return 2;
    }
    printf("hostile: %s did not trap\n", what);
    return 1;
}
