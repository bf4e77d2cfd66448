/* Ending the machine: poweroff with an exit status QEMU passes on, reboot, and panic.
 * Status 0 goes through SBI SRST; a non-zero status needs the sifive,test0 device, because
 * SRST ends QEMU with 0 whatever the reason. Never returns, whatever the firmware does. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include <kernel/boot.h>
#include <kernel/cpu.h>
#include <kernel/kernel.h>
#include <kernel/platform.h>
#include <kernel/sbi.h>

#define TEST_FAIL  0x3333u
#define TEST_PASS  0x5555u
#define TEST_RESET 0x7777u

static void __attribute__((noreturn)) halt_forever(void)
{
    cpu_irq_save();
    for (;;)
        __asm__ volatile("wfi");
}

static void test_device_write(uint32_t value)
{
    uint64_t base = platform()->test_base;
    if (base)
        *(volatile uint32_t *)(uintptr_t)base = value;
}

void poweroff(int status)
{
    fflush(stdout);
    cpu_irq_save();
    if (status != 0) {
        /* The exit code field is 16 bits; clamp so a large code still reads as failure. */
        uint32_t code = (uint32_t)status & 0xffffu;
        test_device_write(TEST_FAIL | ((code ? code : 1u) << 16));
        sbi_system_reset(SBI_SRST_SHUTDOWN, SBI_SRST_REASON_FAIL);
    } else {
        sbi_system_reset(SBI_SRST_SHUTDOWN, SBI_SRST_REASON_NONE);
        test_device_write(TEST_PASS);
    }
    console_puts("poweroff: the firmware refused; halting\n");
    halt_forever();
}

void reboot(void)
{
    fflush(stdout);
    cpu_irq_save();
    sbi_system_reset(SBI_SRST_COLD_REBOOT, SBI_SRST_REASON_NONE);
    test_device_write(TEST_RESET);
    console_puts("reboot: the firmware refused; halting\n");
    halt_forever();
}

void panic(const char *fmt, ...)
{
    static int panicking;
    char buf[256];
    va_list ap;

    cpu_irq_save();
    if (panicking++)
        poweroff(1); /* a panic while panicking: just stop */
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    console_puts("\npanic: ");
    console_puts(buf);
    console_puts("\n");
    poweroff(1);
}
