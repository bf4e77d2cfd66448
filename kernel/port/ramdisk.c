/* The kernel's RAM disk: `ramdisk=SIZE` on the command line (bytes, or with a K, M or G suffix;
 * a multiple of 512) makes ram0, a Valve device in memory, at the services level. Without the
 * option it does nothing. The disk itself is valve/valve_ram.c. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include <kernel/init.h>
#include <kernel/platform.h>
#include <valve_ram.h>

#define RAMDISK_BLOCK 512u
#define RAMDISK_MAX   (1ull << 30)

/* "64M" -> 67108864; 0 when malformed. */
static uint64_t parse_size(const char *s)
{
    uint64_t v = 0;

    if (*s < '0' || *s > '9')
        return 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > RAMDISK_MAX)
            return 0;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    switch (*s) {
    case 'G':
    case 'g':
        v <<= 10;
        /* fall through */
    case 'M':
    case 'm':
        v <<= 10;
        /* fall through */
    case 'K':
    case 'k':
        v <<= 10;
        s++;
        break;
    default:
        break;
    }
    return *s ? 0 : v;
}

static int ramdisk_boot(void)
{
    char arg[24];

    if (!cmdline_get("ramdisk", arg, sizeof(arg)))
        return 0;
    uint64_t bytes = parse_size(arg);
    if (bytes == 0 || bytes > RAMDISK_MAX || bytes % RAMDISK_BLOCK) {
        printf("ramdisk: size '%s' is not a multiple of %u bytes up to 1G\n", arg, RAMDISK_BLOCK);
        return -EINVAL;
    }
    struct valve_ram *ram = valve_ram_create("ram0", bytes, RAMDISK_BLOCK);
    if (!ram) {
        printf("ramdisk: cannot make a %llu-byte RAM disk\n", (unsigned long long)bytes);
        return -ENOMEM;
    }
    printf("ram0: %llu sectors x %u bytes (RAM disk)\n",
           (unsigned long long)(bytes / RAMDISK_BLOCK), RAMDISK_BLOCK);
    return 0;
}

KERNEL_INIT(INIT_SERVICES, ramdisk_boot);
