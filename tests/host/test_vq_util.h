/* Shared virtqueue scenarios for the host tests of both ring layouts and indirect tables: an
 * echo device on the simulator with chosen features, a request pump, and the fault checks.
 * Test-only. */
#ifndef TEST_VQ_UTIL_H
#define TEST_VQ_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "sim.h"

#define VQT_PACKED          0x01u /* device offers RING_PACKED and the plugin lists it */
#define VQT_DEVICE_PACKED   0x02u /* device offers RING_PACKED, the plugin does not list it */
#define VQT_INDIRECT        0x04u /* plugin lists INDIRECT_DESC; vq_use_indirect(vq, 16, 3) */
#define VQT_ACCESS_PLATFORM 0x08u /* device offers ACCESS_PLATFORM */
#define VQT_NO_EVENT        0x10u /* plugin leaves RING_EVENT_IDX out */

/* An echo device (type 3) on a modern or legacy sim transport, queue 0 of `qsize`. */
struct sim_device *vqt_echo(bool modern, uint16_t qsize, enum sim_completion mode,
                            enum sim_order order, unsigned irq, unsigned flags);
struct virtqueue *vqt_vq(struct sim_device *d);
/* Pushes `total` requests of 1..6 descriptors through queue 0, as many in flight as fit,
 * checking every echoed byte and length, and that the queue ends empty and healthy. */
void vqt_pump(struct sim_device *d, unsigned total, bool deferred);
/* Chains of 1..n descriptors in three in/out mixes, each completed and checked. */
void vqt_chains_of_every_length(struct sim_device *d, unsigned n);
/* An 8-entry queue (deferred completion): fills it, -ENOSPC, drains, fills with 1-chains. */
void vqt_full_queue(struct sim_device *d);
/* 16 chains completed in `order`; each comes back once with its own length and data. */
void vqt_out_of_order(struct sim_device *d, enum sim_order order);
/* Adds n chains of `descs` descriptors to a fresh 8-entry echo device with `flags`, arms
 * `fault` once, completes them: the first `ok_first` come back normally, then the queue is
 * broken and hands back every other cookie exactly once with -EIO. */
void vqt_expect_broken(enum sim_fault fault, unsigned flags, unsigned n, unsigned descs,
                       unsigned ok_first);
/* SIM_FAULT_USED_LEN_LARGE: the length is clamped to the chain's writable bytes and counted. */
void vqt_len_clamped(struct sim_device *d);
/* Interrupts off (none raised, completions still found) and on (one raised). */
void vqt_interrupt_suppression(struct sim_device *d);

#endif
