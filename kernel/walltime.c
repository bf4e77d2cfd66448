/* Wall-clock time: the board's goldfish RTC (TIME_LOW, then TIME_HIGH: nanoseconds since 1970)
 * read once at boot, then boot wall time + time since boot from the timer, so a read costs no
 * device access. Never trusts the reading: 0, before 2000 or from the far future means unknown. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include <abi/walltime.h>
#include <kernel/boot.h>
#include <kernel/kernel.h>
#include <kernel/platform.h>

#define RTC_TIME_LOW  0x00u /* read first: latches TIME_HIGH */
#define RTC_TIME_HIGH 0x04u

_Static_assert(KERNEL_WALLTIME_LEN == WALLTIME_STR_LEN, "one date length for kernel and ABI");

/* Wall time minus time since boot, in ns; 0 while unknown. Written once at boot. */
static uint64_t wall_offset;

static uint32_t rtc_read32(uint64_t base, uint32_t reg)
{
    return *(volatile const uint32_t *)(uintptr_t)(base + reg);
}

/* Nanoseconds since 1970 at the start of `year` (1970 or later). */
static uint64_t year_start_ns(int64_t year)
{
    uint64_t days = (uint64_t)walltime_days_from_civil(year, 1, 1);
    return days * WALLTIME_S_PER_DAY * WALLTIME_NS_PER_S;
}

int walltime_init(const struct platform *p)
{
    char when[WALLTIME_STR_LEN];
    const uint64_t min_ns = year_start_ns(2000), max_ns = year_start_ns(2500);

    if (!p->rtc_base) {
        printf("rtc: no real-time clock in the device tree: wall time unknown\n");
        return -ENODEV;
    }
    uint64_t lo = rtc_read32(p->rtc_base, RTC_TIME_LOW);
    uint64_t hi = rtc_read32(p->rtc_base, RTC_TIME_HIGH);
    uint64_t since_boot = time_ns();
    uint64_t rtc_ns = hi << 32 | lo;
    if (rtc_ns < min_ns || rtc_ns >= max_ns) {
        printf("rtc: goldfish-rtc at 0x%llx reads %s, outside 2000..2499: wall time unknown\n",
               (unsigned long long)p->rtc_base, walltime_format(rtc_ns, WALLTIME_ISO8601, when));
        return -ERANGE;
    }
    wall_offset = rtc_ns - since_boot;
    printf("rtc: %s (goldfish-rtc at 0x%llx)\n", walltime_format(rtc_ns, WALLTIME_ISO8601, when),
           (unsigned long long)p->rtc_base);
    return 0;
}

uint64_t walltime_ns(void)
{
    return wall_offset ? wall_offset + time_ns() : 0;
}

char *walltime_text(uint64_t ns, char *buf)
{
    return walltime_format(ns, WALLTIME_TEXT, buf);
}
