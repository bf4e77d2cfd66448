/* Boot-time init hooks. A component registers a function with KERNEL_INIT; kernel main runs
 * them by level (then by link order) after the console, memory and interrupts are up, so no
 * component edits main to be started, and main names none. A hook returns 0 or -errno; a
 * failure is logged and boot continues, so one broken device never stops the shell. */
#ifndef KERNEL_INIT_H
#define KERNEL_INIT_H

#define INIT_BUS      1 /* buses: PCI enumeration and BAR assignment */
#define INIT_DEVICES  2 /* virtio transports discover, drivers probe */
#define INIT_SERVICES 3 /* what sits on the devices: the RAM disk */
#define INIT_SHELL    4 /* last: NipBox's fiber */

struct kernel_init {
    int level;
    const char *name;
    int (*fn)(void);
};

#define KERNEL_INIT(level_, fn_)                                                                   \
    __attribute__((used, section("kernel_init"),                                                   \
                   aligned(sizeof(void *)))) static const struct kernel_init kernel_init_##fn_ = { \
        level_, #fn_, fn_}

#endif
