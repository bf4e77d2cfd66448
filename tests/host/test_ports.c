/* The port registry (ports/ports.c) and ION for ports (ports/port_ion.c) against a fake device:
 * bytes a device feeds are read back in order, a full receive buffer drops (and counts) what does
 * not fit, names a device supplies are bounded, open/close reach the device, a read waits for
 * bytes until its deadline (and not less after a left-over wake-up), a port that vanishes while
 * held reads what was left then -ENODEV and is never called again, and every bad argument a
 * fiber can give is refused. The fiber's memory is a window this file provides. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <ports.h>
#include <virtio/os.h>

#include "sim.h"

#define MS 1000000ull

int port_ion_find(const char *name);
int64_t port_ion_read(const struct os_ion_call *call);
int64_t port_ion_write(const struct os_ion_call *call);
int64_t port_ion_close(const struct os_ion_call *call);

/* The fiber's memory: USER_BASE.. USER_BASE + sizeof(user_mem); anything else faults. */
#define USER_BASE 0x10000ull
static uint8_t user_mem[8192];

static bool user_range(uint64_t a, size_t len)
{
    return a >= USER_BASE && len <= sizeof(user_mem) && a - USER_BASE <= sizeof(user_mem) - len;
}

int os_user_copyin(void *dst, uint64_t user_src, size_t len)
{
    if (!user_range(user_src, len))
        return -EFAULT;
    memcpy(dst, user_mem + (user_src - USER_BASE), len);
    return 0;
}

int os_user_copyout(uint64_t user_dst, const void *src, size_t len)
{
    if (!user_range(user_dst, len))
        return -EFAULT;
    memcpy(user_mem + (user_dst - USER_BASE), src, len);
    return 0;
}

/* The fake device: what it was asked to send, its open state, calls after removal. */
struct fake {
    char sent[64];
    size_t sent_len;
    int opened; /* 0 never told, 1 closed, 2 open */
    unsigned polls, calls;
    long write_rc; /* 0: take the bytes */
};

static long fake_write(void *arg, const void *buf, size_t len)
{
    struct fake *f = arg;
    f->calls++;
    if (f->write_rc)
        return f->write_rc;
    memcpy(f->sent + f->sent_len, buf, len);
    f->sent_len += len;
    return (long)len;
}

static void fake_open(void *arg, bool open)
{
    struct fake *f = arg;
    f->calls++;
    f->opened = open ? 2 : 1;
}

static void fake_poll(void *arg)
{
    struct fake *f = arg;
    f->calls++;
    f->polls++;
}

static const struct port_ops fake_ops = {fake_write, fake_open, fake_poll};

static struct fake dev;
static struct port *made[PORTS_MAX + 1];
static unsigned n_made;

static struct port *add(const char *name)
{
    struct port *p = port_add("fake0", &fake_ops, &dev);
    if (p) {
        made[n_made++] = p;
        port_set_name(p, name, strlen(name));
    }
    return p;
}

/* Bytes fed while a reader waits: at feed_at (fake time), once. */
static struct port *feed_port;
static uint64_t feed_at;
static const char *feed_bytes;

static void feed_poll(void *arg)
{
    (void)arg;
    if (feed_bytes && os_time_ns() >= feed_at) {
        port_input(feed_port, feed_bytes, strlen(feed_bytes));
        feed_bytes = NULL;
    }
}

static struct os_hooks feeder = {.poll = feed_poll};

static struct os_ion_call io_call(int object, uint64_t buf, uint64_t len, uint64_t timeout)
{
    return (struct os_ion_call){.object = (uint32_t)object, .arg = {buf, len, timeout, 0}};
}

static int setup(void **state)
{
    (void)state;
    memset(&dev, 0, sizeof(dev));
    memset(user_mem, 0, sizeof(user_mem));
    n_made = 0;
    feed_bytes = NULL;
    os_hooks_add(&feeder);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    os_hooks_remove(&feeder);
    for (unsigned i = 0; i < n_made; i++) {
        port_close(made[i]);
        port_remove(made[i]);
    }
    assert_null(port_at(0)); /* every test leaves the registry empty */
    return 0;
}

static void test_bytes_fed_are_read_in_order(void **state)
{
    (void)state;
    struct port *p = add("a.port");
    assert_non_null(p);
    assert_ptr_equal(port_find("a.port"), p);
    assert_ptr_equal(port_at(0), p);
    assert_null(port_at(1));
    assert_int_equal(port_open(p), 0);
    assert_int_equal(dev.opened, 2); /* the device was told */
    assert_int_equal(port_open(p), -EBUSY);
    port_input(p, "hel", 3);
    port_input(p, "lo", 2);
    char buf[8];
    assert_int_equal(port_read(p, buf, 4), 4);
    assert_memory_equal(buf, "hell", 4);
    assert_int_equal(port_read(p, buf, sizeof(buf)), 1);
    assert_int_equal(buf[0], 'o');
    assert_int_equal(port_read(p, buf, sizeof(buf)), 0);
    assert_true(dev.polls >= 3); /* each read asks a polled device first */
    assert_int_equal(port_write(p, "yo", 2), 2);
    assert_memory_equal(dev.sent, "yo", 2);
    dev.write_rc = -EIO;
    assert_int_equal(port_write(p, "x", 1), -EIO); /* the device's error, passed on */
    port_close(p);
    assert_int_equal(dev.opened, 1);
    struct port_info info;
    port_set_host_open(p, true);
    port_info(p, &info);
    assert_string_equal(info.name, "a.port");
    assert_string_equal(info.owner, "fake0");
    assert_true(info.host_open);
    assert_false(info.console);
    assert_int_equal(info.dropped, 0);
}

static void test_open_resets_and_console_refused(void **state)
{
    (void)state;
    struct port *p = add("b.port");
    port_input(p, "stale", 5); /* bytes before anyone opened the port are not a reader's */
    assert_int_equal(port_open(p), 0);
    char buf[8];
    assert_int_equal(port_read(p, buf, sizeof(buf)), 0);
    struct port *c = add("hvc9");
    port_set_console(c, true);
    assert_int_equal(port_open(c), -EBUSY);
    assert_int_equal(dev.opened, 2); /* only b.port's open reached the device */
}

static void test_full_buffer_drops_and_counts(void **state)
{
    (void)state;
    static uint8_t in[PORT_RX_BUFFER + 100], out[PORT_RX_BUFFER + 100];
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (uint8_t)(i * 7);
    struct port *p = add("c.port");
    assert_int_equal(port_open(p), 0);
    port_input(p, in, sizeof(in));
    struct port_info info;
    port_info(p, &info);
    assert_int_equal(info.dropped, 100);
    assert_int_equal(port_read(p, out, sizeof(out)), PORT_RX_BUFFER); /* the oldest are kept */
    assert_memory_equal(out, in, PORT_RX_BUFFER);
    port_input(p, "z", 1); /* room again */
    assert_int_equal(port_read(p, out, sizeof(out)), 1);
    port_info(p, &info);
    assert_int_equal(info.dropped, 100);
}

static void test_names_from_the_device_are_bounded(void **state)
{
    (void)state;
    struct port *p = add("");
    struct port_info info;
    port_info(p, &info);
    assert_string_equal(info.name, "(unnamed)");
    assert_null(port_find(""));
    assert_null(port_find(NULL));
    port_set_name(p, "bad\x01name", 8);
    assert_non_null(port_find("bad")); /* the name stops at the first unprintable byte */
    char longname[80];
    memset(longname, 'x', sizeof(longname));
    port_set_name(p, longname, sizeof(longname));
    port_info(p, &info);
    assert_int_equal(strlen(info.name), PORT_NAME_MAX - 1);
    port_set_name(p, "a b", 3);
    assert_non_null(port_find("a"));
}

static void test_port_vanishes_while_held(void **state)
{
    (void)state;
    struct port *p = add("d.port");
    assert_int_equal(port_open(p), 0);
    port_input(p, "la", 2);
    port_remove(p);
    unsigned calls = dev.calls;
    char buf[8];
    assert_int_equal(port_read(p, buf, sizeof(buf)), 2); /* what came before it went */
    assert_int_equal(port_read(p, buf, sizeof(buf)), -ENODEV);
    assert_int_equal(port_write(p, "x", 1), -ENODEV);
    assert_int_equal(port_wait(p, 1000), 0); /* the removal woke the waiter */
    assert_int_equal(port_open(p), -ENODEV);
    port_input(p, "late", 4); /* a device feeding a removed port is ignored */
    assert_int_equal(port_read(p, buf, sizeof(buf)), -ENODEV);
    assert_null(port_find("d.port"));
    struct port *again = add("d.port"); /* the host adds it again: a new slot while p is held */
    assert_non_null(again);
    assert_ptr_not_equal(again, p);
    port_close(p);
    assert_int_equal(dev.calls, calls); /* nothing reached the device after removal */
}

static void test_registry_full(void **state)
{
    (void)state;
    for (unsigned i = 0; i < PORTS_MAX; i++)
        assert_non_null(add("many"));
    assert_null(port_add("fake0", &fake_ops, &dev));
}

static void test_ion_read_waits_until_bytes_or_deadline(void **state)
{
    (void)state;
    struct port *p = add("e.port");
    int obj = port_ion_find("e.port");
    assert_true(obj >= 0);
    assert_int_equal(port_ion_find("e.port"), obj); /* the same entry */

    /* nothing comes: 0 after the full deadline */
    struct os_ion_call c = io_call(obj, USER_BASE, 16, 5 * MS);
    uint64_t t0 = os_time_ns();
    assert_int_equal(port_ion_read(&c), 0);
    assert_true(os_time_ns() - t0 >= 5 * MS);
    assert_int_equal(dev.opened, 2); /* the first read opened it */

    /* bytes arrive 2 ms into a 50 ms wait: returned then */
    feed_port = p;
    feed_at = os_time_ns() + 2 * MS;
    feed_bytes = "ping\n";
    c = io_call(obj, USER_BASE + 100, 16, 50 * MS);
    t0 = os_time_ns();
    assert_int_equal(port_ion_read(&c), 5);
    assert_true(os_time_ns() - t0 < 50 * MS);
    assert_memory_equal(user_mem + 100, "ping\n", 5);

    /* a wake-up left from bytes already taken does not end the next wait early */
    port_input(p, "ab", 2);
    char buf[4];
    assert_int_equal(port_read(p, buf, sizeof(buf)), 2);
    c = io_call(obj, USER_BASE, 16, 3 * MS);
    t0 = os_time_ns();
    assert_int_equal(port_ion_read(&c), 0);
    assert_true(os_time_ns() - t0 >= 3 * MS);

    /* no wait at all */
    c = io_call(obj, USER_BASE, 16, 0);
    assert_int_equal(port_ion_read(&c), 0);

    /* write: copied from the fiber */
    memcpy(user_mem, "pong", 4);
    c = io_call(obj, USER_BASE, 4, 0);
    assert_int_equal(port_ion_write(&c), 4);
    assert_memory_equal(dev.sent, "pong", 4);
    c = io_call(obj, 0, 0, 0);
    assert_int_equal(port_ion_close(&c), 0);
    assert_int_equal(dev.opened, 1);
    assert_int_equal(port_ion_close(&c), -EBADF); /* closed already */
}

static void test_ion_refuses_bad_arguments(void **state)
{
    (void)state;
    struct port *p = add("f.port");
    struct port *con = add("hvc8");
    port_set_console(con, true);
    assert_int_equal(port_ion_find(NULL), -ENODEV);
    assert_int_equal(port_ion_find("no.such"), -ENODEV);
    assert_int_equal(port_ion_find("hvc8"), -ENODEV); /* a console is not a port for users */
    int obj = port_ion_find("f.port");
    assert_true(obj >= 0);

    struct os_ion_call c = io_call(obj, USER_BASE, 0, 0);
    assert_int_equal(port_ion_read(&c), -EINVAL); /* len 0 */
    assert_int_equal(port_ion_write(&c), -EINVAL);
    c = io_call(obj, USER_BASE, 4097, 0);
    assert_int_equal(port_ion_read(&c), -EINVAL);
    assert_int_equal(port_ion_write(&c), -EINVAL);
    c = io_call(obj, USER_BASE, 0x100000000ull, 0); /* only the low 32 bits are the length */
    assert_int_equal(port_ion_read(&c), -EINVAL);
    c = io_call(obj, USER_BASE, 16, 60000 * MS + 1);
    assert_int_equal(port_ion_read(&c), -EINVAL); /* more than 60 s */
    c = io_call(obj, 0x80200000ull, 16, 0);
    assert_int_equal(port_ion_write(&c), -EFAULT); /* not the fiber's memory */
    c = io_call(obj, USER_BASE + sizeof(user_mem) - 8, 16, 0);
    assert_int_equal(port_ion_write(&c), -EFAULT); /* runs past it */
    assert_int_equal(dev.sent_len, 0);
    c = io_call(obj, USER_BASE, 16, 0);
    assert_int_equal(port_ion_read(&c), 0); /* opens the port (which empties its buffer) */
    port_input(p, "data", 4);
    c = io_call(obj, 0x80200000ull, 16, 0);
    assert_int_equal(port_ion_read(&c), -EFAULT);
    c = io_call(99, USER_BASE, 16, 0);
    assert_int_equal(port_ion_read(&c), -ENODEV); /* no such entry */
    assert_int_equal(port_ion_write(&c), -ENODEV);
    assert_int_equal(port_ion_close(&c), -EBADF);
    c = io_call(obj, 0, 0, 0);
    assert_int_equal(port_ion_close(&c), 0);
}

static void test_ion_port_vanishes(void **state)
{
    (void)state;
    struct port *p = add("g.port");
    int obj = port_ion_find("g.port");
    struct os_ion_call c = io_call(obj, USER_BASE, 16, 0);
    port_input(p, "x", 1);
    assert_int_equal(port_ion_read(&c), 0); /* opening empties the buffer */
    assert_int_equal(port_open(p), -EBUSY); /* held by ION: the shell cannot have it */
    port_remove(p);
    assert_int_equal(port_ion_read(&c), -ENODEV);
    assert_int_equal(port_ion_write(&c), -ENODEV);
    c = io_call(obj, 0, 0, 0);
    assert_int_equal(port_ion_close(&c), -EBADF); /* the read let go of the vanished port */
    /* the same name again is a new port, opened afresh through the same capability */
    struct port *q = add("g.port");
    assert_ptr_equal(q, p); /* p's slot was let go, so it is the free one */
    port_input(q, "new", 3);
    c = io_call(obj, USER_BASE, 16, 0);
    assert_int_equal(port_ion_read(&c), 0); /* opened: emptied */
    port_input(q, "new", 3);
    assert_int_equal(port_ion_read(&c), 3);
    assert_memory_equal(user_mem, "new", 3);
    c = io_call(obj, 0, 0, 0);
    assert_int_equal(port_ion_close(&c), 0);
}

int main(void)
{
    os_host_log_quiet(true);
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_bytes_fed_are_read_in_order),
        T(test_open_resets_and_console_refused),
        T(test_full_buffer_drops_and_counts),
        T(test_names_from_the_device_are_bounded),
        T(test_port_vanishes_while_held),
        T(test_registry_full),
        T(test_ion_read_waits_until_bytes_or_deadline),
        T(test_ion_refuses_bad_arguments),
        T(test_ion_port_vanishes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
