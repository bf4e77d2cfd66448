/* Host tests of the os.h event and hooks as tests/sim/os_host.c implements them: a signal given
 * before the wait is not lost (a wait that missed it would run out its timeout: this test then
 * fails), a signal from an interrupt raised while interrupts are off, or just before the waiter
 * sleeps, ends the wait; a wait nobody signals times out; the tick hook runs from the fake
 * clock, the poll hook from the wait. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include <virtio/os.h>

#include "sim.h"

#define MS       1000000ull
#define TEST_IRQ 200u

static struct os_event ev;
static unsigned handler_runs, ticks, polls, arms;
static bool raise_on_arm, signal_on_poll;

static void handler(void *arg)
{
    (void)arg;
    handler_runs++;
    os_event_signal(&ev);
}

static void tick(void *arg)
{
    (void)arg;
    ticks++;
}

static void poll(void *arg)
{
    (void)arg;
    if (++polls == 3 && signal_on_poll)
        os_event_signal(&ev);
}

static bool arm(void *arg)
{
    (void)arg;
    arms++;
    if (raise_on_arm) {
        raise_on_arm = false;
        os_host_raise_irq(TEST_IRQ); /* pending: the waiter has interrupts off */
    }
    return false;
}

static struct os_hooks hooks = {.tick = tick, .poll = poll, .arm = arm};

static int setup(void **state)
{
    (void)state;
    static bool registered;
    if (!registered)
        assert_int_equal(os_irq_register(TEST_IRQ, handler, NULL), 0);
    registered = true;
    os_event_init(&ev);
    handler_runs = ticks = polls = arms = 0;
    raise_on_arm = signal_on_poll = false;
    os_hooks_add(&hooks);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    os_hooks_remove(&hooks);
    return 0;
}

/* The lost wake-up: signalled first, waited for after. The wait must see the signal at once;
 * a wait that dropped it would sleep until its timeout and return -ETIMEDOUT. */
static void test_signal_before_wait(void **state)
{
    (void)state;
    os_event_signal(&ev);
    const uint64_t t0 = os_time_ns();
    assert_int_equal(os_event_wait(&ev, 500 * MS), 0);
    assert_true(os_time_ns() - t0 < 100 * MS);
    assert_int_equal(arms, 0); /* it never went to sleep */
    /* The signal was consumed: the next wait has nothing and times out. */
    assert_int_equal(os_event_wait(&ev, 20 * MS), -ETIMEDOUT);
}

/* Signalled by a handler that ran before the wait, and by one still pending (interrupts off). */
static void test_signal_from_interrupt_before_wait(void **state)
{
    (void)state;
    os_host_raise_irq(TEST_IRQ); /* interrupts on: the handler runs now */
    assert_int_equal(handler_runs, 1);
    assert_int_equal(os_event_wait(&ev, 500 * MS), 0);

    unsigned long irq = os_irq_disable();
    os_host_raise_irq(TEST_IRQ);
    assert_int_equal(handler_runs, 1); /* pending */
    assert_int_equal(os_event_wait(&ev, 500 * MS), 0);
    assert_int_equal(handler_runs, 2);
    assert_false(os_host_irqs_enabled()); /* the state the waiter came with */
    os_irq_restore(irq);
}

/* The interrupt arrives between the last check and the sleep (raised from the arm hook): the
 * sleep must end on it. */
static void test_signal_while_going_to_sleep(void **state)
{
    (void)state;
    raise_on_arm = true;
    assert_int_equal(os_event_wait(&ev, 500 * MS), 0);
    assert_int_equal(handler_runs, 1);
    assert_int_equal(arms, 1);
}

/* A completion found by the poll hook (the poll path) ends the wait without a sleep. */
static void test_signal_from_poll(void **state)
{
    (void)state;
    signal_on_poll = true;
    assert_int_equal(os_event_wait(&ev, 500 * MS), 0);
    assert_int_equal(polls, 3);
}

/* Nobody signals: the wait ends with -ETIMEDOUT, the fake clock having run out the time, and
 * the tick hook ran every 10 ms of it. */
static void test_timeout_and_ticks(void **state)
{
    (void)state;
    const uint64_t t0 = os_time_ns();
    assert_int_equal(os_event_wait(&ev, 100 * MS), -ETIMEDOUT);
    assert_true(os_time_ns() - t0 >= 100 * MS);
    assert_true(ticks >= 8);
    unsigned before = ticks;
    os_host_advance_clock(25 * MS); /* interrupts on: the timer fires */
    assert_true(ticks > before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_signal_before_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signal_from_interrupt_before_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signal_while_going_to_sleep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signal_from_poll, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_and_ticks, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
