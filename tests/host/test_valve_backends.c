/* Host tests of the Valve's backends that are not virtio: the RAM disk (valve/valve_ram.c, the
 * kernel's `ramdisk=`) and the host file (valve/host/valve_file.c, for host tools). Round trips
 * through the Valve, large requests cut into bios that complete inside submit, the range
 * operations, flush, validation, read-only files, and names and handles. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_blk_util.h"
#include "valve.h"
#include "valve_file.h"
#include "valve_ram.h"

#define K   (&block_kernel)
#define MIB (1u << 20)

static unsigned calls;

static void count_call(struct block_req *r, void *ctx)
{
    (void)r;
    (void)ctx;
    calls++;
}

static void test_ram_disk(void **state)
{
    (void)state;
    struct valve_ram *ram = valve_ram_create("ram0", 4 * MIB, 512);
    uint8_t *w = tb_alloc(3 * MIB), *r = tb_alloc(3 * MIB);
    struct block_info info;
    uint64_t size;

    assert_non_null(ram);
    const unsigned dev = (unsigned)valve_ram_handle(ram);
    assert_int_equal(block_find("ram0"), (int)dev);
    assert_null(valve_ram_create("ram0", MIB, 512)); /* the name is taken */
    assert_null(valve_ram_create("ram1", 1000, 512));
    assert_int_equal(block_info(K, dev, &info), 0);
    assert_string_equal(info.name, "ram0");
    assert_string_equal(info.transport, "ram");
    assert_int_equal(info.block_size, 512);
    assert_int_equal(info.total_blocks, 8192);
    assert_true(info.discard && info.write_zeroes);

    /* 3 MiB: three 1 MiB bios, each completed inside the Valve's submit. */
    tb_fill(w, 3 * MIB, 61, 512);
    assert_int_equal(block_write(K, dev, 1, 3 * MIB / 512, w), 0);
    uint8_t *data = valve_ram_data(ram, &size);
    assert_int_equal(size, 4 * MIB);
    assert_memory_equal(data + 512, w, 3 * MIB);
    assert_int_equal(block_read(K, dev, 1, 3 * MIB / 512, r), 0);
    assert_memory_equal(r, w, 3 * MIB);

    /* Its completion runs before block_submit returns. */
    calls = 0;
    struct block_req q = {.owner = K,
                          .op = BLOCK_OP_WRITE_ZEROES,
                          .dev = dev,
                          .lba = 10,
                          .count = 4,
                          .complete = count_call};
    assert_int_equal(block_submit(&q), 0);
    assert_int_equal(calls, 1);
    assert_int_equal(q.status, 0);
    assert_int_equal(q.done, 4);
    for (unsigned k = 0; k < 4 * 512; k++)
        assert_int_equal(data[10 * 512 + k], 0);
    q.op = BLOCK_OP_DISCARD;
    q.lba = 20;
    assert_int_equal(block_submit(&q), 0);
    assert_int_equal(calls, 2);
    assert_int_equal(block_flush(K, dev), 0);
    assert_int_equal(block_read(K, dev, 8192, 1, r), -ERANGE);
    assert_int_equal(block_read(K, dev, 0, 1, r + 3), -EFAULT);
    assert_int_equal(block_set_polled(K, dev, true), -EOPNOTSUPP);

    valve_ram_destroy(ram);
    assert_int_equal(block_read(K, dev, 0, 1, r), -ENODEV);
    assert_int_equal(block_find("ram0"), -ENODEV);

    /* 4096-byte blocks. */
    ram = valve_ram_create("ram4k", MIB, 4096);
    assert_non_null(ram);
    const unsigned dev4 = (unsigned)valve_ram_handle(ram);
    assert_int_equal(block_info(K, dev4, &info), 0);
    assert_int_equal(info.total_blocks, 256);
    tb_fill(w, 8192, 62, 0);
    assert_int_equal(block_write(K, dev4, 254, 2, w), 0);
    assert_int_equal(block_read(K, dev4, 254, 2, r), 0);
    assert_memory_equal(r, w, 8192);
    assert_int_equal(block_read(K, dev4, 255, 2, r), -ERANGE);
    valve_ram_destroy(ram);
    free(w);
    free(r);
}

/* A scratch file of `bytes` zeroes; its path in `path`. */
static void make_file(char *path, size_t len, uint64_t bytes)
{
    snprintf(path, len, "/tmp/rumpk-valve-file-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)bytes), 0);
    close(fd);
}

static void test_file_backend(void **state)
{
    (void)state;
    char path[64];
    uint8_t *w = tb_alloc(2 * MIB), *r = tb_alloc(2 * MIB);
    struct block_info info;
    int err;

    make_file(path, sizeof(path), 4 * MIB);
    struct valve_file *f = valve_file_open(path, "file0", 512, false, &err);
    assert_non_null(f);
    assert_int_equal(err, 0);
    const unsigned dev = (unsigned)valve_file_handle(f);
    assert_int_equal(block_info(K, dev, &info), 0);
    assert_string_equal(info.transport, "file");
    assert_int_equal(info.total_blocks, 8192);
    assert_true(info.write_cache);

    tb_fill(w, 2 * MIB, 71, 100 * 512);
    assert_int_equal(block_write(K, dev, 100, 2 * MIB / 512, w), 0);
    assert_int_equal(block_flush(K, dev), 0);
    assert_int_equal(block_read(K, dev, 100, 2 * MIB / 512, r), 0);
    assert_memory_equal(r, w, 2 * MIB);
    /* The bytes are in the file, where a host tool finds them. */
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 100 * 512, SEEK_SET), 0);
    assert_int_equal(fread(r, 1, 2 * MIB, fp), 2 * MIB);
    fclose(fp);
    assert_int_equal(tb_check(r, 2 * MIB, 71, 100 * 512), -1);

    struct block_req z = {
        .owner = K, .op = BLOCK_OP_WRITE_ZEROES, .dev = dev, .lba = 100, .count = 16};
    assert_int_equal(block_submit(&z), 0);
    assert_int_equal(block_wait(&z), 0);
    assert_int_equal(block_read(K, dev, 100, 17, r), 0);
    for (unsigned k = 0; k < 16 * 512; k++)
        assert_int_equal(r[k], 0);
    assert_int_equal(tb_check(r + 16 * 512, 512, 71, 116 * 512), -1);
    assert_int_equal(block_read(K, dev, 8190, 4, r), -ERANGE);
    z.op = BLOCK_OP_DISCARD;
    assert_int_equal(block_submit(&z), -EOPNOTSUPP);
    valve_file_close(f);
    assert_int_equal(block_read(K, dev, 0, 1, r), -ENODEV);

    /* Read-only, and files the backend refuses. */
    f = valve_file_open(path, "file0", 4096, true, &err);
    assert_non_null(f);
    const unsigned ro = (unsigned)valve_file_handle(f);
    assert_int_equal(block_write(K, ro, 0, 1, w), -EROFS);
    assert_int_equal(block_read(K, ro, 25, 1, r), 0);
    assert_int_equal(tb_check(r, 4096, 71, 25 * 4096), -1);
    assert_null(valve_file_open(path, "file0", 512, true, &err)); /* the name is taken */
    assert_int_equal(err, -EEXIST);
    valve_file_close(f);
    assert_null(valve_file_open(path, "file1", 1000, false, &err));
    assert_int_equal(err, -EINVAL);
    assert_null(valve_file_open("/nonexistent/rumpk", "file1", 512, false, &err));
    assert_int_equal(err, -ENOENT);
    assert_int_equal(truncate(path, 1000), 0);
    assert_null(valve_file_open(path, "file1", 512, false, &err));
    assert_int_equal(err, -EINVAL);
    unlink(path);
    free(w);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ram_disk),
        cmocka_unit_test(test_file_backend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
