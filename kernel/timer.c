/* Time: rdtime scaled by the DTB timebase, and a 100 Hz supervisor timer tick through SBI so a
 * wait in wfi always ends within 10 ms. Each tick runs the drivers' tick hooks (os.h: deadlines
 * are checked there); no scheduling. */
#include <stdint.h>

#include <kernel/boot.h>
#include <kernel/cpu.h>
#include <kernel/kernel.h>
#include <kernel/sbi.h>

#define TICK_HZ 100u

static uint64_t timebase_hz = 10000000u; /* replaced by the DTB value at timer_init */
static uint64_t tick_interval;
static uint64_t next_tick;
static volatile uint64_t ticks;

static void (*tick_hook)(void); /* kernel/port/os_kernel.c: the drivers' tick hooks */

void timer_set_hook(void (*fn)(void))
{
    tick_hook = fn;
}

uint64_t time_hz(void)
{
    return timebase_hz;
}

uint64_t time_ns(void)
{
    uint64_t t = cpu_rdtime();
    /* Split so t * 1e9 cannot overflow: whole seconds, then the remainder. */
    return t / timebase_hz * 1000000000u + t % timebase_hz * 1000000000u / timebase_hz;
}

void timer_tick(void)
{
    uint64_t now = cpu_rdtime();
    ticks++;
    next_tick += tick_interval;
    if ((int64_t)(next_tick - now) <= 0) /* missed ticks (long trap, slow host): skip them */
        next_tick = now + tick_interval;
    sbi_set_timer(next_tick);
    if (tick_hook)
        tick_hook();
}

uint64_t timer_ticks(void)
{
    return ticks;
}

void timer_init(uint64_t hz)
{
    if (hz)
        timebase_hz = hz;
    tick_interval = timebase_hz / TICK_HZ;
    if (tick_interval == 0)
        tick_interval = 1;
    cpu_allow_user_time(); /* user fibers scale it themselves (SYS_TIMEBASE) */
    next_tick = cpu_rdtime() + tick_interval;
    sbi_set_timer(next_tick);
    cpu_set_sie_bits(SIE_STIE);
}
