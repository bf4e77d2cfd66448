/* Calls into the SBI firmware (OpenSBI): the few extensions the kernel uses.
 * Only kernel/sbi.c issues ecalls; callers see plain functions and SBI error codes. */
#ifndef KERNEL_SBI_H
#define KERNEL_SBI_H

#include <stdint.h>

#define SBI_EXT_LEGACY_PUTCHAR 0x01
#define SBI_EXT_BASE           0x10
#define SBI_EXT_TIME           0x54494D45
#define SBI_EXT_HSM            0x48534D
#define SBI_EXT_SRST           0x53525354

#define SBI_SRST_SHUTDOWN    0
#define SBI_SRST_COLD_REBOOT 1
#define SBI_SRST_REASON_NONE 0
#define SBI_SRST_REASON_FAIL 1

struct sbi_ret {
    long error; /* 0 = success, negative SBI error code */
    long value;
};

struct sbi_ret sbi_call(unsigned long eid, unsigned long fid, unsigned long a0, unsigned long a1,
                        unsigned long a2);
/* 1 when the firmware implements extension `eid`. */
int sbi_has_extension(unsigned long eid);
/* Programs the next supervisor timer interrupt at absolute `time` (rdtime units). */
void sbi_set_timer(uint64_t time);
/* One byte through the firmware console: usable before the UART is known. */
void sbi_console_putchar(int c);
/* SRST: returns only when the firmware refused. */
void sbi_system_reset(unsigned long type, unsigned long reason);

#endif
