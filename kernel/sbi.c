/* SBI ecalls into OpenSBI: the only file that executes `ecall`. Callers get plain functions;
 * nothing here decides policy (what to do when the firmware refuses is the caller's call). */
#include <stdint.h>

#include <kernel/sbi.h>

#define SBI_BASE_PROBE_EXTENSION 3

struct sbi_ret sbi_call(unsigned long eid, unsigned long fid, unsigned long a0, unsigned long a1,
                        unsigned long a2)
{
    long err, val;
    /* The argument registers are clobbered, so the compiler keeps the inputs elsewhere. */
    __asm__ volatile("mv a0, %[a0]\n\t"
                     "mv a1, %[a1]\n\t"
                     "mv a2, %[a2]\n\t"
                     "mv a6, %[fid]\n\t"
                     "mv a7, %[eid]\n\t"
                     "ecall\n\t"
                     "mv %[err], a0\n\t"
                     "mv %[val], a1"
                     : [err] "=r"(err), [val] "=r"(val)
                     : [a0] "r"(a0), [a1] "r"(a1), [a2] "r"(a2), [fid] "r"(fid), [eid] "r"(eid)
                     : "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "memory");
    struct sbi_ret ret = {err, val};
    return ret;
}

int sbi_has_extension(unsigned long eid)
{
    struct sbi_ret r = sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, eid, 0, 0);
    return r.error == 0 && r.value != 0;
}

void sbi_set_timer(uint64_t time)
{
    static int use_time_ext = -1;
    if (use_time_ext < 0)
        use_time_ext = sbi_has_extension(SBI_EXT_TIME);
    if (use_time_ext)
        sbi_call(SBI_EXT_TIME, 0, time, 0, 0);
    else
        sbi_call(0x00, 0, time, 0, 0); /* legacy set_timer */
}

void sbi_console_putchar(int c)
{
    sbi_call(SBI_EXT_LEGACY_PUTCHAR, 0, (unsigned long)(unsigned char)c, 0, 0);
}

void sbi_system_reset(unsigned long type, unsigned long reason)
{
    sbi_call(SBI_EXT_SRST, 0, type, reason, 0);
}
