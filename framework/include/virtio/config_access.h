/* Sized config-space access for transports: one field of 1, 2, 4 or 8 bytes at a register
 * address, through MMIO or port I/O. An 8-byte field is two 32-bit accesses, low half first,
 * which every virtio transport accepts. The core has already range-checked offset and width. */
#ifndef VIRTIO_CONFIG_ACCESS_H
#define VIRTIO_CONFIG_ACCESS_H

#include <stdbool.h>
#include <stdint.h>

#include <virtio/os.h>

static inline uint64_t virtio_cfg_read(uintptr_t a, unsigned width, bool pio)
{
    switch (width) {
    case 1:
        return pio ? os_pio_read8(a) : os_mmio_read8(a);
    case 2:
        return pio ? os_pio_read16(a) : os_mmio_read16(a);
    case 4:
        return pio ? os_pio_read32(a) : os_mmio_read32(a);
    default: {
        uint64_t lo = pio ? os_pio_read32(a) : os_mmio_read32(a);
        uint64_t hi = pio ? os_pio_read32(a + 4) : os_mmio_read32(a + 4);
        return hi << 32 | lo;
    }
    }
}

static inline void virtio_cfg_write32(uintptr_t a, uint32_t v, bool pio)
{
    if (pio)
        os_pio_write32(a, v);
    else
        os_mmio_write32(a, v);
}

static inline void virtio_cfg_write(uintptr_t a, unsigned width, uint64_t v, bool pio)
{
    switch (width) {
    case 1:
        if (pio)
            os_pio_write8(a, (uint8_t)v);
        else
            os_mmio_write8(a, (uint8_t)v);
        break;
    case 2:
        if (pio)
            os_pio_write16(a, (uint16_t)v);
        else
            os_mmio_write16(a, (uint16_t)v);
        break;
    case 4:
        virtio_cfg_write32(a, (uint32_t)v, pio);
        break;
    default:
        virtio_cfg_write32(a, (uint32_t)v, pio);
        virtio_cfg_write32(a + 4, (uint32_t)(v >> 32), pio);
        break;
    }
}

#endif
