/* NipBox's `random [bytes]`: bytes straight from virtio-rng device rng0, in hex, 32 a line.
 * Carried by the rng plugin (manifest.toml [nipbox]); the shell knows nothing of it. */
#include <errno.h>
#include <stdio.h>

#include <abi/parse_uint.h>
#include <services/service.h>
#include <virtio/virtio.h>

#include "rng.h"

#define RANDOM_DEFAULT 32u

static int run_random(int argc, char **argv)
{
    static uint8_t buf[RNG_READ_MAX];
    uint64_t n = RANDOM_DEFAULT;

    if (argc > 2 || (argc == 2 && (parse_uint(argv[1], RNG_READ_MAX, &n) || n == 0))) {
        printf("random: usage: random [bytes]  (bytes: 1..%u)\n", RNG_READ_MAX);
        return 1;
    }
    struct virtio_device *vdev = virtio_device_find("rng", 0);
    if (!vdev) {
        printf("random: no virtio-rng device\n");
        return 1;
    }
    int rc = rng_read(vdev, buf, (size_t)n);
    if (rc < 0) {
        printf("random: %s: read failed (error %d)\n", vdev->name, rc);
        return 1;
    }
    for (unsigned i = 0; i < (unsigned)rc; i++)
        printf("%02x%s", buf[i], (i % 32 == 31 || i + 1 == (unsigned)rc) ? "\n" : "");
    return 0;
}
SERVICE_COMMAND(random, "random", "random [bytes]",
                "bytes from the virtio-rng device, in hex (default 32, at most 4096)", run_random);
