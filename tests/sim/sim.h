/* Simulated virtio devices for host tests: a transport named "sim" (modern or legacy) and the
 * device behind it, which reads the driver's rings straight from host memory with its own bounds
 * checks and answers as a RAM disk (virtio-blk), a loopback NIC (virtio-net) or an echo device
 * (any other type). It never trusts the driver: a bad chain is counted as a driver error and the
 * device raises NEEDS_RESET instead of following it. Also declares the os_host.c test hooks. */
#ifndef RUMPK_SIM_H
#define RUMPK_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <virtio/virtio.h>
#include <virtio/virtqueue.h>

struct sim_device;

#define SIM_FOREVER 0xffffffffu /* fault count: apply every time */

/* Device types the sim models in detail (virtio 1.2, 5). Any other type is an echo device:
 * each chain's readable bytes are copied into its writable bytes, used len = bytes copied. */
#define SIM_TYPE_NET   1
#define SIM_TYPE_BLOCK 2

/* Feature bits the sim's devices know (spec numbers, the device's own copy). */
#define SIM_F_NOTIFY_ON_EMPTY 24
#define SIM_F_INDIRECT_DESC   28
#define SIM_F_EVENT_IDX       29
#define SIM_F_VERSION_1       32
#define SIM_F_ACCESS_PLATFORM 33
#define SIM_F_RING_PACKED     34 /* not offered by default: a test sets it in sim_params */
#define SIM_BLK_F_SIZE_MAX    1
#define SIM_BLK_F_SEG_MAX     2
#define SIM_BLK_F_GEOMETRY    4
#define SIM_BLK_F_RO          5
#define SIM_BLK_F_BLK_SIZE    6
#define SIM_BLK_F_FLUSH       9
#define SIM_NET_F_MAC         5
#define SIM_NET_F_MRG_RXBUF   15
#define SIM_NET_F_STATUS      16

/* virtio-blk request format (virtio 1.2, 5.2.6). */
#define SIM_BLK_T_IN     0
#define SIM_BLK_T_OUT    1
#define SIM_BLK_T_FLUSH  4
#define SIM_BLK_T_GET_ID 8
#define SIM_BLK_S_OK     0
#define SIM_BLK_S_IOERR  1
#define SIM_BLK_S_UNSUPP 2
#define SIM_BLK_S_BAD    0x7f /* written only under SIM_FAULT_BLK_BAD_STATUS */
#define SIM_BLK_SECTOR   512u
#define SIM_BLK_ID_BYTES 20

/* Config layouts the sim exposes (virtio 1.2, 5.1.4 and 5.2.4). */
#define SIM_BLK_CFG_CAPACITY 0  /* u64, sectors */
#define SIM_BLK_CFG_SIZE_MAX 8  /* u32 */
#define SIM_BLK_CFG_SEG_MAX  12 /* u32 */
#define SIM_BLK_CFG_GEOMETRY 16 /* u16 cylinders, u8 heads, u8 sectors */
#define SIM_BLK_CFG_BLK_SIZE 20 /* u32 */
#define SIM_BLK_CFG_LEN      24
#define SIM_NET_CFG_MAC      0  /* 6 bytes */
#define SIM_NET_CFG_STATUS   6  /* u16, bit 0 = link up */
#define SIM_NET_CFG_MAX_VQP  8  /* u16 */
#define SIM_NET_CFG_MTU      10 /* u16 */
#define SIM_NET_CFG_LEN      12
#define SIM_NET_RX_QUEUE     0
#define SIM_NET_TX_QUEUE     1

#define SIM_CONFIG_MAX 256
#define SIM_MAX_QUEUES 8 /* queues one simulated device may have */

/* The block model enforces what it advertises once negotiated: a request with more than
 * seg_max data segments (all but the header and status descriptors) or any descriptor longer
 * than size_max is a driver error; 0 in either field means no limit. */

/* Everything needed to build one device. Fill it with sim_params_init, then adjust. */
struct sim_params {
    uint16_t type;         /* virtio device type */
    bool modern;           /* VERSION_1 transport; legacy: low 32 feature bits only, no
                              FEATURES_OK, no config generation, single-block ring layout */
    bool fixed_queue_size; /* transport cannot resize queues (default: legacy) */
    uint64_t features;     /* offered (legacy: only the low 32 bits reach the driver) */
    unsigned irq;          /* 0: no interrupt line, the device is polled */
    unsigned n_queues;     /* queues that exist (default: net 2, others 1) */
    uint16_t queue_max[SIM_MAX_QUEUES]; /* largest size per queue (default 256; 0 = none) */
    char location[40];                  /* shown in the boot log, default "sim:<n>" */
    uint32_t config_len;                /* bytes of config space exposed (default per type) */
    uint8_t config[SIM_CONFIG_MAX];     /* initial config bytes (filled per type) */
    uint64_t blk_sectors; /* RAM disk size in 512-byte sectors (default 2048 = 1 MiB); the
                             config capacity is what the driver sees: change both (or
                             only one, to model a device that lies) */
};

/* Defaults for `type`: features (blk: SIZE_MAX SEG_MAX BLK_SIZE FLUSH; net: MAC STATUS; both
 * also INDIRECT_DESC EVENT_IDX, and VERSION_1 when modern; clear a bit to withhold it. Once
 * EVENT_IDX is negotiated the device writes avail_event after fetching, ignores avail->flags
 * and interrupts only when its used idx steps over used_event), queues, config (blk: capacity,
 * size_max 65536, seg_max 126, blk_size 512; net: mac 52:54:00:12:34:<n>, link up), a distinct
 * irq line from 40..47 (lines are shared, like PCI INTx), location "sim:<n>". */
void sim_params_init(struct sim_params *p, uint16_t type, bool modern);
/* Writes a little-endian field into p->config. */
void sim_params_config(struct sim_params *p, uint32_t offset, unsigned width, uint64_t value);

/* Builds the device (transport fields of its virtio_device filled) without adding it. NULL when
 * out of memory. */
struct sim_device *sim_create(const struct sim_params *p);
/* virtio_device_add() on it; returns what that returned. */
int sim_add(struct sim_device *d);
/* sim_params_init + sim_create + sim_add in one go; the add result is in *add_rc if non-NULL.
 * Returns the device even when the add failed (look at sim_vdev(d)->state). */
struct sim_device *sim_new(uint16_t type, bool modern, int *add_rc);
/* Removes the device from the core (driver remove, reset, queues freed) and frees it. */
void sim_destroy(struct sim_device *d);
/* sim_destroy on every sim device still alive (use in test teardown). */
void sim_destroy_all(void);

struct virtio_device *sim_vdev(struct sim_device *d);
/* The sim device behind vdev, or NULL when vdev is not a sim device. */
struct sim_device *sim_of(struct virtio_device *vdev);

/* When chains are processed. AT_NOTIFY (default): inside the driver's notify. DEFERRED: notify
 * only records the kick; sim_run() (or a sleeping wait) fetches and completes the chains, in
 * `order`. */
enum sim_completion { SIM_COMPLETE_AT_NOTIFY, SIM_COMPLETE_DEFERRED };
enum sim_order {
    SIM_ORDER_FIFO,    /* in the order they were made available */
    SIM_ORDER_REVERSE, /* newest first */
    SIM_ORDER_SHUFFLE, /* a fixed pseudo-random permutation */
};
void sim_set_completion(struct sim_device *d, enum sim_completion mode, enum sim_order order);
/* Runs all deferred work of every sim device (fetch kicked chains, complete them, deliver looped
 * frames, raise interrupts). Returns chains completed. A sleeping wait calls it. */
unsigned sim_run(void);
/* Chains fetched or kicked but not yet completed on queue q. */
unsigned sim_pending(struct sim_device *d, unsigned q);

/* Misbehaviour. `count` = how many times it applies (SIM_FOREVER: always; 0: off). The used-ring
 * faults apply to both layouts; on a packed ring "used idx" is the used element position. */
enum sim_fault {
    SIM_FAULT_USED_IDX_JUMP,      /* split: used idx advances by queue size + 1 more than it
                                     should; packed: a second used element (same id) is written
                                     after this one, beyond what was made available */
    SIM_FAULT_USED_ID_RANGE,      /* used id = queue size + 7 */
    SIM_FAULT_USED_ID_NOT_HEAD,   /* used id names no outstanding chain (split: the chain's
                                     second descriptor, or one no published chain starts at;
                                     packed: a buffer id not outstanding) */
    SIM_FAULT_USED_LEN_LARGE,     /* used len = chain's writable bytes + 4096 */
    SIM_FAULT_FEATURES_CHANGE,    /* offered features flip bits 0 and 1 once FEATURES_OK is set
                                     (legacy: once the driver has written its features) */
    SIM_FAULT_REFUSE_FEATURES_OK, /* FEATURES_OK is never accepted (status reads without it) */
    SIM_FAULT_CONFIG_GEN,         /* config generation changes on each of the next reads */
    SIM_FAULT_RESET_STUCK,        /* status never reads 0 after a reset */
    SIM_FAULT_NO_INTERRUPT,       /* used entries are written but no interrupt is raised */
    SIM_FAULT_USED_WRAP,          /* packed: the used element carries the wrong wrap counter */
    SIM_FAULT_USED_LEN_SHORT,     /* used len = 1 (after writing everything as usual) when the
                                     chain wrote more: a short read (blk), a frame shorter than
                                     its header (net) */
    SIM_FAULT_USED_LEN_ZERO,      /* used len = 0 although the chain was written as usual */
    SIM_FAULT_BLK_BAD_STATUS,     /* blk: the status byte is SIM_BLK_S_BAD, no status the spec
                                     knows */
    SIM_FAULT_NET_NUM_BUFFERS,    /* net, 12-byte header: a received frame says num_buffers 2
                                     (a frame merged over buffers, which we never ask for) */
    SIM_FAULT_COUNT_
};
void sim_fault(struct sim_device *d, enum sim_fault f, uint32_t count);
/* An IOMMU for tests that let a hostile device write into ring memory: once set, every guest
 * range the device is about to read or write (a chain's element, an indirect table) is first
 * handed to ok(arg, addr, len); a range it refuses stops the device as a malformed chain does
 * (NEEDS_RESET, one log line) and nothing there is touched. A device that rewrote an available
 * descriptor could otherwise DMA past the element the driver gave, which no driver can prevent
 * without an IOMMU (virtio 1.2, 2.8: available descriptors are the driver's). NULL: no check. */
typedef bool (*sim_dma_ok_fn)(void *arg, uint64_t addr, uint64_t len);
void sim_set_dma_check(struct sim_device *d, sim_dma_ok_fn ok, void *arg);
/* Largest size of queue q (0: the queue does not exist). Takes effect at the next queue setup. */
void sim_set_queue_max(struct sim_device *d, unsigned q, uint16_t max);
/* Sets NEEDS_RESET in the status and raises a config interrupt. */
void sim_raise_needs_reset(struct sim_device *d);
/* Writes a config field (little-endian), bumps the generation, raises a config interrupt. */
void sim_set_config(struct sim_device *d, uint32_t offset, unsigned width, uint64_t value);

/* What the driver did. */
uint8_t sim_status(struct sim_device *d);                  /* current device status byte */
uint64_t sim_driver_features(struct sim_device *d);        /* last features the driver wrote */
uint16_t sim_queue_size(struct sim_device *d, unsigned q); /* 0 when not set up */
struct sim_stats {
    uint64_t resets;
    uint64_t notifies;
    uint64_t chains;        /* chains completed (used entries written) */
    uint64_t irqs;          /* interrupts raised */
    uint64_t driver_errors; /* malformed chains, bad queue setup, rings out of bounds */
    uint64_t blk_reads, blk_writes, blk_flushes, blk_get_ids;
    uint64_t blk_ioerr, blk_unsupp; /* statuses answered */
    uint64_t net_tx, net_rx, net_rx_dropped;
    uint64_t max_chain_segs; /* longest chain seen */
};
const struct sim_stats *sim_stats(struct sim_device *d);
/* Text of the last driver error ("" when none), for test messages. */
const char *sim_last_error(struct sim_device *d);

/* Block device: the RAM behind it (bytes in *size), and injected I/O errors: any request that
 * touches [first, first + count) answers IOERR (count 0 clears). */
uint8_t *sim_blk_data(struct sim_device *d, uint64_t *size);
void sim_blk_fail_sectors(struct sim_device *d, uint64_t first, uint64_t count);

/* Net device: frames the driver sends go to the tx hook when set, else back to the driver's own
 * rx queue (loopback). sim_net_inject delivers a frame from the "wire". Frames wait in a
 * 64-frame backlog while no rx buffer is posted. Returns 0 or -ENOSPC (backlog full) /
 * -EINVAL (longer than 1600 bytes). */
typedef void (*sim_net_tx_fn)(void *arg, const uint8_t *frame, size_t len);
void sim_net_set_tx_hook(struct sim_device *d, sim_net_tx_fn fn, void *arg);
int sim_net_inject(struct sim_device *d, const void *frame, size_t len);
void sim_net_set_link(struct sim_device *d, bool up);
unsigned sim_net_backlog(struct sim_device *d);

/* A generic device model for plugin authors (sim_model.c): give the device's answers as
 * callbacks and the simulator does the transport, the rings and their checks. Set it right
 * after sim_create (before sim_add) with sim_params type, features, queues and config as the
 * device has them.
 * chain: one chain the driver made available on queue q: `in` holds its in_len readable
 *   bytes, `out` (zeroed) room for out_cap writable bytes. Returns the used length to report
 *   (>= 0; it may lie: more than out_cap, or 0 while writing nothing), SIM_MODEL_HOLD to keep
 *   the chain (held queues only: it is offered again at sim_model_kick or the next run), or
 *   SIM_MODEL_ERROR to call the chain a driver error (the device stops until reset).
 * held_queues: bit q set = chains of queue q wait until the device has something to say
 *   (receive queues); they are offered to `chain`, oldest first, when the device runs. */
#define SIM_MODEL_HOLD  (-1L)
#define SIM_MODEL_ERROR (-2L)
struct sim_model_ops {
    long (*chain)(void *arg, struct sim_device *d, unsigned q, const uint8_t *in, size_t in_len,
                  uint8_t *out, size_t out_cap);
    uint32_t held_queues;
    void *arg;
};
void sim_set_model(struct sim_device *d, const struct sim_model_ops *ops);
/* The device has something for held queue q: offers its chains to the model now (raising the
 * interrupt for what completed). Returns chains completed. */
unsigned sim_model_kick(struct sim_device *d, unsigned q);
/* Chains the driver made available on queue q that the device holds (not completed yet). */
unsigned sim_held(struct sim_device *d, unsigned q);

/* os_host.c hooks (the host implementation of virtio/os.h).
 * Clock: os_time_ns() is CLOCK_MONOTONIC plus a fake offset; every call adds `step` to the
 * offset (0 = off). The timer: whenever the fake clock has passed the next 10 ms boundary and
 * interrupts are on (os_irq_restore, os_host_advance_clock) or a wait sleeps, every os.h tick
 * hook runs once, as an interrupt.
 * Interrupts: os_irq_register records handlers per line (several per line allowed).
 * os_host_raise_irq runs them at once when interrupts are enabled, else when they are restored
 * or when a wait sleeps.
 * Waiting: os_event_wait polls the hooks and watches as the kernel does; to sleep it runs
 * sim_run(), the pending handlers and the ticks, adding 1 ms to the clock when none of them did
 * anything. A wait whose device is polled never runs the simulator (a polled device answers at
 * notify or never) and adds 10 us per turn. A wait idle for 200 s of fake time aborts the test
 * (a waiter nobody will ever wake: a lost wake-up); with a timeout it returns -ETIMEDOUT first.
 * os_wait() (tests only; the kernel's code waits on events) runs sim_run() then pending
 * handlers; after 100000 waits in a row with nothing to do it aborts the test.
 * Log: each os_log line goes to stderr (unless quiet; RUMPK_LOG=1 overrides) and into a
 * capture buffer. */
void os_wait(void);
void os_host_set_clock_step(uint64_t ns);
void os_host_advance_clock(uint64_t ns);
void os_host_raise_irq(unsigned irq);
bool os_host_irq_registered(unsigned irq);
void os_host_fail_irq_register(bool fail); /* os_irq_register returns -ENOTSUP */
bool os_host_irqs_enabled(void);
bool os_host_in_interrupt(void); /* inside a simulated interrupt handler or tick */
bool os_host_log_contains(const char *needle);
const char *os_host_log_text(void); /* everything captured since the last clear */
void os_host_log_clear(void);
void os_host_log_quiet(bool quiet);
uint64_t os_host_dma_bytes(void);   /* bytes currently held by os_dma_alloc */
uint64_t os_host_alloc_bytes(void); /* bytes currently held by os_alloc */
/* Entropy: os_random is a seeded xorshift64* (default seed fixed); os_entropy_add counts the
 * bytes fed, keeps the last source name and up to 256 of the last bytes. */
void os_host_seed_random(uint64_t seed);
uint64_t os_host_entropy_fed(void);
const char *os_host_entropy_source(void);
size_t os_host_entropy_last(const uint8_t **bytes);
void os_host_entropy_reset(void);
/* Console devices: the console last added (NULL when none or removed), and the input it handed
 * the OS since the last call (copied to out, at most cap bytes). */
struct os_console;
struct os_console *os_host_console(void);
size_t os_host_console_input(char *out, size_t cap);

#endif
