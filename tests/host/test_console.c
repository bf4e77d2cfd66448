/* The virtio-console plugin against a simulated multiport console (tests/sim generic model):
 * the control protocol (DEVICE_READY, DEVICE_ADD -> PORT_READY, CONSOLE_PORT, PORT_NAME,
 * PORT_OPEN, DEVICE_REMOVE), console output and input through the OS's console hooks, a named
 * port's read and write through the OS's port registry (ports.h), the port vanishing while it
 * is open, CONSOLE_F_SIZE, a single-port console without MULTIPORT, and control messages that
 * lie. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <ports.h>
#include <virtio/os.h>

#include "console/virtcon.h"
#include "sim.h"

#define TYPE_CONSOLE 3
#define F_SIZE       0
#define F_MULTIPORT  1
#define CTRL_RX      2
#define CTRL_TX      3

enum {
    DEVICE_READY,
    DEVICE_ADD,
    DEVICE_REMOVE,
    PORT_READY,
    CONSOLE_PORT,
    RESIZE,
    PORT_OPEN,
    PORT_NAME
};

/* The model: an outbox of control messages for the driver, per port what the driver sent and
 * what the host has for it, and the last PORT_OPEN/PORT_READY the driver sent per port. */
struct msg {
    uint8_t b[64];
    unsigned len;
};
static struct model {
    struct msg out[16];
    unsigned n_out;
    char tx[3][64];
    unsigned tx_len[3];
    char inbox[3][64];
    unsigned in_len[3];
    int guest_open[3], ready[100];
    bool multiport;
    const char *port1_name;
} m;

static void queue_ctrl(uint32_t id, uint16_t event, uint16_t value, const char *extra)
{
    struct msg *x = &m.out[m.n_out++];
    uint8_t h[8] = {(uint8_t)id,         (uint8_t)(id >> 8),   (uint8_t)(id >> 16),
                    (uint8_t)(id >> 24), (uint8_t)event,       (uint8_t)(event >> 8),
                    (uint8_t)value,      (uint8_t)(value >> 8)};
    memcpy(x->b, h, 8);
    x->len = 8;
    if (extra) {
        memcpy(x->b + 8, extra, strlen(extra));
        x->len += (unsigned)strlen(extra);
    }
}

static int port_of_queue(unsigned q)
{
    return q < 2 ? 0 : q >= 4 ? (int)(q / 2 - 1) : -1;
}

static long chain(void *arg, struct sim_device *d, unsigned q, const uint8_t *in, size_t in_len,
                  uint8_t *out, size_t cap)
{
    (void)arg;
    (void)d;
    if (q == CTRL_TX) {
        if (in_len < 8)
            return SIM_MODEL_ERROR;
        uint32_t id = in[0] | (uint32_t)in[1] << 8;
        uint16_t ev = (uint16_t)(in[4] | in[5] << 8), val = (uint16_t)(in[6] | in[7] << 8);
        if (ev == DEVICE_READY) {
            queue_ctrl(0, DEVICE_ADD, 0, NULL);
            queue_ctrl(1, DEVICE_ADD, 0, NULL);
        } else if (ev == PORT_READY && id < 100) {
            m.ready[id] = val + 1;
            if (id == 0 && val)
                queue_ctrl(0, CONSOLE_PORT, 1, NULL);
            if (id == 1 && val)
                queue_ctrl(1, PORT_NAME, 0, m.port1_name);
        } else if (ev == PORT_OPEN && id < 3) {
            m.guest_open[id] = val + 1;
        }
        return 0;
    }
    if (q == CTRL_RX) {
        if (!m.n_out)
            return SIM_MODEL_HOLD;
        struct msg x = m.out[0];
        memmove(&m.out[0], &m.out[1], --m.n_out * sizeof(m.out[0]));
        memcpy(out, x.b, x.len < cap ? x.len : cap);
        return x.len;
    }
    int p = port_of_queue(q);
    if (p < 0 || p > 2)
        return SIM_MODEL_ERROR;
    if (q % 2) { /* transmit */
        memcpy(m.tx[p] + m.tx_len[p], in, in_len);
        m.tx_len[p] += (unsigned)in_len;
        return 0;
    }
    if (!m.in_len[p])
        return SIM_MODEL_HOLD;
    unsigned n = m.in_len[p] < cap ? m.in_len[p] : (unsigned)cap;
    memcpy(out, m.inbox[p], n);
    m.in_len[p] = 0;
    return n;
}

static struct sim_model_ops ops = {.chain = chain,
                                   .held_queues = 1u << 0 | 1u << CTRL_RX | 1u << 4 | 1u << 6};

static struct sim_device *add_console(bool multiport, bool size, uint32_t max_ports, int *rc)
{
    struct sim_params p;
    sim_params_init(&p, TYPE_CONSOLE, true);
    p.features |= (multiport ? 1ull << F_MULTIPORT : 0) | (size ? 1ull << F_SIZE : 0);
    p.n_queues = multiport ? 8 : 2;
    for (unsigned i = 0; i < p.n_queues; i++)
        p.queue_max[i] = 64;
    p.config_len = 12;
    sim_params_config(&p, 0, 2, 80);
    sim_params_config(&p, 2, 2, 25);
    sim_params_config(&p, 4, 4, max_ports);
    struct sim_device *d = sim_create(&p);
    assert_non_null(d);
    m.multiport = multiport;
    sim_set_model(d, &ops);
    *rc = sim_add(d);
    return d;
}

static int setup(void **state)
{
    (void)state;
    memset(&m, 0, sizeof(m));
    m.port1_name = "sim.port";
    os_host_log_clear();
    os_host_set_clock_step(100000);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sim_destroy_all();
    os_host_set_clock_step(0);
    assert_null(os_host_console());
    return 0;
}

static void test_multiport_console_and_named_port(void **state)
{
    (void)state;
    int rc;
    struct sim_device *d = add_console(true, true, 3, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(m.ready[0], 2); /* PORT_READY value 1 */
    assert_int_equal(m.ready[1], 2);
    assert_int_equal(m.guest_open[0], 2); /* the console port was opened */
    struct os_console *con = os_host_console();
    assert_non_null(con);
    assert_memory_equal(con->name, "hvc", 3);

    con->write(con->arg, "abc\r\n", 5); /* console output goes out on port 0 */
    assert_int_equal(m.tx_len[0], 5);
    assert_memory_equal(m.tx[0], "abc\r\n", 5);
    memcpy(m.inbox[0], "ls\r", 3); /* and typed input comes back to the OS */
    m.in_len[0] = 3;
    sim_model_kick(d, 0);
    char got[16];
    assert_int_equal(os_host_console_input(got, sizeof(got)), 3);
    assert_memory_equal(got, "ls\r", 3);

    struct port *p = port_find("sim.port");
    struct port_info info;
    assert_non_null(p);
    port_info(p, &info);
    assert_false(info.console);
    assert_int_equal(port_open(p), 0);
    assert_int_equal(m.guest_open[1], 2);
    assert_int_equal(port_open(p), -EBUSY);
    assert_int_equal(port_open(port_find(con->name)), -EBUSY);
    memcpy(m.inbox[1], "hi\n", 3);
    m.in_len[1] = 3;
    sim_model_kick(d, 4);
    char buf[8];
    assert_int_equal(port_read(p, buf, sizeof(buf)), 3);
    assert_memory_equal(buf, "hi\n", 3);
    assert_int_equal(port_read(p, buf, sizeof(buf)), 0);
    assert_int_equal(port_write(p, "yo", 2), 2);
    assert_memory_equal(m.tx[1], "yo", 2);
    port_close(p);
    assert_int_equal(m.guest_open[1], 1); /* PORT_OPEN value 0 */

    uint16_t cols, rows;
    assert_int_equal(virtcon_size(sim_vdev(d), &cols, &rows), 0);
    assert_int_equal(cols, 80);
    assert_int_equal(rows, 25);
    sim_set_config(d, 0, 2, 132); /* the host resized its window */
    assert_int_equal(virtcon_size(sim_vdev(d), &cols, &rows), 0);
    assert_int_equal(cols, 132);
    assert_int_equal(sim_stats(d)->driver_errors, 0);
}

static void test_port_vanishes_while_open(void **state)
{
    (void)state;
    int rc;
    struct sim_device *d = add_console(true, false, 3, &rc);
    assert_int_equal(rc, 0);
    struct port *p = port_find("sim.port");
    assert_non_null(p);
    assert_int_equal(port_open(p), 0);
    memcpy(m.inbox[1], "la", 2);
    m.in_len[1] = 2;
    sim_model_kick(d, 4);
    queue_ctrl(1, DEVICE_REMOVE, 0, NULL);
    sim_model_kick(d, CTRL_RX);
    char buf[8];
    assert_int_equal(port_read(p, buf, sizeof(buf)), 2); /* what came before it went */
    assert_int_equal(port_read(p, buf, sizeof(buf)), -ENODEV);
    assert_int_equal(port_write(p, "x", 1), -ENODEV);
    assert_int_equal(port_wait(p, 1000), 0); /* the removal woke the waiter */
    assert_null(port_find("sim.port"));
    port_close(p);
    /* the console port vanishing hands the OS's console back */
    assert_non_null(os_host_console());
    queue_ctrl(0, DEVICE_REMOVE, 0, NULL);
    sim_model_kick(d, CTRL_RX);
    assert_null(os_host_console());
    /* and the host may add the named port again */
    queue_ctrl(1, DEVICE_ADD, 0, NULL);
    sim_model_kick(d, CTRL_RX);
    assert_non_null(port_find("sim.port"));
}

static void test_single_port_without_multiport(void **state)
{
    (void)state;
    int rc;
    struct sim_device *d = add_console(false, false, 0, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(os_host_console());
    uint16_t cols, rows;
    assert_int_equal(virtcon_size(sim_vdev(d), &cols, &rows), -ENOTSUP);
    struct os_console *con = os_host_console();
    con->write(con->arg, "x", 1);
    assert_int_equal(m.tx_len[0], 1);
}

static void test_hostile_control(void **state)
{
    (void)state;
    int rc;
    m.port1_name = "bad\x01name";
    struct sim_device *d = add_console(true, false, 3, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(port_find("bad")); /* the name stops at the first unprintable */
    queue_ctrl(99, DEVICE_ADD, 0, NULL);
    sim_model_kick(d, CTRL_RX);
    assert_int_equal(m.ready[99], 1); /* PORT_READY value 0: refused */
    assert_true(os_host_log_contains("control event 1 for port 99"));
    m.out[m.n_out++] = (struct msg){{1, 0, 0}, 3};
    sim_model_kick(d, CTRL_RX);
    assert_true(os_host_log_contains("control message of 3 bytes ignored"));
    assert_int_equal(sim_vdev(d)->state, VIRTIO_STATE_READY);
}

static void test_bad_max_nr_ports(void **state)
{
    (void)state;
    int rc;
    struct sim_device *d = add_console(true, false, 0, &rc);
    assert_int_not_equal(rc, 0);
    assert_int_equal(sim_vdev(d)->state, VIRTIO_STATE_FAILED);
    assert_true(os_host_log_contains("max_nr_ports 0 out of range"));
}

int main(void)
{
    os_host_log_quiet(true);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_multiport_console_and_named_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_port_vanishes_while_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_single_port_without_multiport, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_control, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_max_nr_ports, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
