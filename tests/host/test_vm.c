/* kernel/vm.c on the host: the Sv39 walker, user mappings and their permissions, copies in and
 * out of a user space, and pinning user buffers into kernel windows for DMA (every page checked,
 * the physical pages the driver will see, window exhaustion, and one TLB flush per round of
 * windows rather than one per request). Page-table pages come from a counting allocator, so
 * every test also proves nothing leaks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <kernel/cpu.h>
#include <kernel/kernel.h>
#include <kernel/vm.h>

unsigned test_satp_writes, test_tlb_flushes;
uint64_t test_satp;
static long pages_out;

void *page_alloc(size_t npages)
{
    void *p = aligned_alloc(VM_PAGE, npages * VM_PAGE);
    if (p) {
        memset(p, 0, npages * VM_PAGE);
        pages_out += (long)npages;
    }
    return p;
}

void page_free(void *p, size_t npages)
{
    free(p); /* vm.c frees single pages, each from its own page_alloc(1) */
    pages_out -= (long)npages;
}

void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fail_msg("panic");
    abort();
}

#define U VM_USER_BASE

static long kernel_pages; /* page-table pages vm_init keeps for good */

static int setup_once(void **state)
{
    (void)state;
    assert_int_equal(vm_init(NULL), 0);
    kernel_pages = pages_out;
    assert_true(test_satp_writes == 1);
    return 0;
}

static void user_mappings_keep_their_permissions(void **state)
{
    (void)state;
    pte_t *root = vm_space_create();
    assert_non_null(root);
    uint8_t *text = vm_map_user(root, U, VM_R | VM_X);
    uint8_t *data = vm_map_user(root, U + VM_PAGE, VM_R | VM_W);
    assert_non_null(text);
    assert_non_null(data);
    /* Refused: writable and executable at once, below the user base, at or past the top,
     * unaligned, no permission, a page taken already. */
    assert_null(vm_map_user(root, U + 2 * VM_PAGE, VM_R | VM_W | VM_X));
    assert_null(vm_map_user(root, U - VM_PAGE, VM_R));
    assert_null(vm_map_user(root, VM_USER_TOP, VM_R));
    assert_null(vm_map_user(root, U + 3 * VM_PAGE + 8, VM_R));
    assert_null(vm_map_user(root, U + 4 * VM_PAGE, 0));
    assert_null(vm_map_user(root, U, VM_R));
    /* The walker answers each permission as mapped. */
    assert_ptr_equal((void *)vm_translate(root, U + 5, VM_R), text + 5);
    assert_int_equal(vm_translate(root, U + 5, VM_W), 0);
    assert_ptr_equal((void *)vm_translate(root, U + VM_PAGE + 9, VM_W), data + 9);
    assert_int_equal(vm_translate(root, U + 2 * VM_PAGE, VM_R), 0); /* unmapped */
    assert_int_equal(vm_translate(root, 0x80200000ul, VM_R), 0);    /* kernel: never U */
    assert_int_equal(vm_translate(root, (uint64_t)-4096, VM_R), 0); /* upper half */
    assert_int_equal(vm_translate(NULL, U, VM_R), 0);
    vm_space_destroy(root);
    assert_int_equal(vm_user_pages(), 0);
    assert_int_equal(pages_out, kernel_pages);
}

static void copies_stop_at_the_first_bad_page(void **state)
{
    (void)state;
    pte_t *root = vm_space_create();
    uint8_t *a = vm_map_user(root, U, VM_R | VM_W);
    uint8_t *b = vm_map_user(root, U + VM_PAGE, VM_R); /* read-only */
    uint8_t src[64], dst[64];
    for (unsigned i = 0; i < sizeof(src); i++)
        src[i] = (uint8_t)(i + 1);
    memset(b, 0x5a, 32);

    /* Across the boundary into a read-only page: the copy out fails, and nothing lands in b. */
    assert_int_equal(vm_copyout(root, U + VM_PAGE - 32, src, 64), -EFAULT);
    assert_int_equal(b[0], 0x5a);
    assert_int_equal(vm_copyout(root, U + VM_PAGE - 32, src, 32), 0);
    assert_memory_equal(a + VM_PAGE - 32, src, 32);
    /* Reading across the boundary is allowed (both readable); past b is not. */
    assert_int_equal(vm_copyin(root, dst, U + VM_PAGE - 32, 64), 0);
    assert_memory_equal(dst, src, 32);
    assert_int_equal(dst[32], 0x5a);
    assert_int_equal(vm_copyin(root, dst, U + 2 * VM_PAGE - 8, 16), -EFAULT);
    assert_int_equal(vm_copyin(root, dst, 0x80200000ul, 8), -EFAULT);
    uint64_t before = vm_copied_bytes();
    assert_int_equal(vm_copyin(root, dst, U, 10), 0);
    assert_int_equal(vm_copied_bytes() - before, 10);
    vm_space_destroy(root);
    assert_int_equal(pages_out, kernel_pages);
}

static void pinning_maps_the_fibers_own_pages_in_order(void **state)
{
    (void)state;
    pte_t *root = vm_space_create();
    uint8_t *p[3];
    for (unsigned i = 0; i < 3; i++)
        p[i] = vm_map_user(root, U + i * VM_PAGE, VM_R | VM_W);
    int err = 1;
    uint64_t va = U + 0x200;
    size_t len = 2 * VM_PAGE + 0x100;
    uintptr_t kva = vm_pin(root, va, len, VM_W, &err);
    assert_int_equal(err, 0);
    assert_int_not_equal(kva, 0);
    assert_int_equal(kva % VM_PAGE, 0x200);
    assert_int_equal(vm_pinned_pages(), 3);
    /* What the driver sees through the window: each byte's physical address is the fiber's. */
    for (size_t off = 0; off < len; off += 0x180)
        assert_int_equal(vm_kernel_phys(kva + off),
                         (uintptr_t)p[(0x200 + off) / VM_PAGE] + (0x200 + off) % VM_PAGE);
    vm_unpin(kva, len);
    assert_int_equal(vm_pinned_pages(), 0);
    assert_int_equal(vm_kernel_phys(kva), 0); /* unmapped again */
    vm_space_destroy(root);
    assert_int_equal(pages_out, kernel_pages);
}

/* Runs of physically contiguous bytes: all of a one-to-one buffer; through a window, as far as
 * the fiber's pages follow one another in memory (whatever the allocator gave them). */
static void physical_runs_follow_the_pages(void **state)
{
    (void)state;
    static _Alignas(4096) uint8_t direct[3 * VM_PAGE];
    size_t run = 0;
    assert_int_equal(vm_kernel_phys_run((uintptr_t)direct + 5, sizeof(direct) - 5, &run),
                     (uintptr_t)direct + 5);
    assert_int_equal(run, sizeof(direct) - 5);
    pte_t *root = vm_space_create();
    uint8_t *p[4];
    for (unsigned i = 0; i < 4; i++)
        p[i] = vm_map_user(root, U + i * VM_PAGE, VM_R | VM_W);
    int err;
    const size_t len = 4 * VM_PAGE - 0x300;
    uintptr_t kva = vm_pin(root, U + 0x100, len, VM_W, &err);
    assert_int_equal(err, 0);
    for (unsigned first = 0; first < 4; first++) {
        uintptr_t va = kva + (first ? first * VM_PAGE - 0x100 : 0);
        size_t left = len - (va - kva), want = VM_PAGE - va % VM_PAGE;
        for (unsigned i = first; i + 1 < 4 && p[i + 1] == p[i] + VM_PAGE; i++)
            want += VM_PAGE;
        if (want > left)
            want = left;
        assert_int_equal(vm_kernel_phys_run(va, left, &run), vm_kernel_phys(va));
        assert_int_equal(run, want);
        assert_int_equal(vm_kernel_phys_run(va, 7, &run), vm_kernel_phys(va));
        assert_int_equal(run, 7); /* never more than asked */
    }
    vm_unpin(kva, len);
    vm_space_destroy(root);
    assert_int_equal(pages_out, kernel_pages);
}

/* A buffer across a 2 MiB boundary lies in two of the fiber's leaf tables: both are read, and a
 * page missing in the second refuses the whole pin and leaves the window empty. */
static void pinning_crosses_user_leaf_tables(void **state)
{
    (void)state;
    pte_t *root = vm_space_create();
    const uint64_t edge = U + (2ul << 20) - (U % (2ul << 20)); /* the next 2 MiB boundary */
    uint8_t *p[4];
    for (unsigned i = 0; i < 4; i++)
        p[i] = vm_map_user(root, edge - 2 * VM_PAGE + i * VM_PAGE, VM_R | VM_W);
    int err = 1;
    uintptr_t kva = vm_pin(root, edge - 2 * VM_PAGE, 4 * VM_PAGE, VM_W, &err);
    assert_int_equal(err, 0);
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(vm_kernel_phys(kva + i * VM_PAGE + 7), (uintptr_t)p[i] + 7);
    vm_unpin(kva, 4 * VM_PAGE);
    assert_int_equal(vm_pin(root, edge - VM_PAGE, 4 * VM_PAGE, VM_W, &err), 0);
    assert_int_equal(err, -EFAULT); /* edge + 2 pages is not mapped */
    assert_int_equal(vm_pinned_pages(), 0);
    kva = vm_pin(root, edge - VM_PAGE, 2 * VM_PAGE, VM_W, &err);
    assert_int_equal(err, 0);
    assert_int_equal(vm_kernel_phys(kva + 2 * VM_PAGE), 0); /* nothing left from the refusal */
    vm_unpin(kva, 2 * VM_PAGE);
    vm_space_destroy(root);
    assert_int_equal(pages_out, kernel_pages);
}

/* A buffer of 8 pages or more pinned again after its unpin takes the window that still maps it;
 * every page is still the fiber's own, a write pin of a read-only buffer is still refused, and
 * destroying the space leaves no window mapping its pages. */
static void a_pinned_buffer_pinned_again_keeps_its_window(void **state)
{
    (void)state;
    pte_t *root = vm_space_create();
    uint8_t *p[9];
    for (unsigned i = 0; i < 8; i++)
        p[i] = vm_map_user(root, U + i * VM_PAGE, VM_R | VM_W);
    p[8] = vm_map_user(root, U + 8 * VM_PAGE, VM_R);
    int err = 1;
    const size_t len = 8 * VM_PAGE;
    uintptr_t kva = vm_pin(root, U, len, VM_W, &err);
    assert_int_equal(err, 0);
    vm_unpin(kva, len);
    assert_int_equal(vm_pinned_pages(), 0);
    uintptr_t again = vm_pin(root, U + 0x10, len - 0x10, VM_W, &err);
    assert_int_equal(err, 0);
    assert_int_equal(again, kva + 0x10); /* the same window, nothing mapped anew */
    assert_int_equal(vm_pinned_pages(), 8);
    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(vm_kernel_phys(kva + i * VM_PAGE + 5), (uintptr_t)p[i] + 5);
    /* While it is in use, the same buffer gets another window. */
    uintptr_t other = vm_pin(root, U, len, VM_R, &err);
    assert_int_equal(err, 0);
    assert_int_not_equal(other / VM_PIN_WINDOW_BYTES, kva / VM_PIN_WINDOW_BYTES);
    vm_unpin(other, len);
    vm_unpin(again, len - 0x10);
    /* Kept for reading only (the last page is read-only): a write pin checks again, refused. */
    kva = vm_pin(root, U + VM_PAGE, len, VM_R, &err);
    assert_int_equal(err, 0);
    vm_unpin(kva, len);
    assert_int_equal(vm_pin(root, U + VM_PAGE, len, VM_W, &err), 0);
    assert_int_equal(err, -EFAULT);
    /* No space at all: refused, whatever a window keeps. */
    assert_int_equal(vm_pin(NULL, U, len, VM_R, &err), 0);
    assert_int_equal(err, -EFAULT);
    /* Another space at another address: nothing kept for it. */
    pte_t *root2 = vm_space_create();
    assert_int_equal(vm_pin(root2, U, len, VM_R, &err), 0);
    assert_int_equal(err, -EFAULT);
    vm_space_destroy(root2);
    kva = vm_pin(root, U, len, VM_W, &err);
    vm_unpin(kva, len);
    vm_space_destroy(root);
    for (unsigned i = 0; i < 8; i++) /* its pages are free again: no window reaches them */
        assert_int_equal(vm_kernel_phys(kva + i * VM_PAGE), 0);
    assert_int_equal(pages_out, kernel_pages);
}

static void pinning_refuses_what_is_not_the_fibers_to_give(void **state)
{
    (void)state;
    pte_t *root = vm_space_create();
    vm_map_user(root, U, VM_R | VM_W);
    vm_map_user(root, U + 2 * VM_PAGE, VM_R | VM_W); /* U + 1 page: a hole */
    vm_map_user(root, U + 3 * VM_PAGE, VM_R);        /* read-only */
    int err;
    struct {
        uint64_t va;
        size_t len;
        unsigned need;
        int want;
    } bad[] = {
        {U, 2 * VM_PAGE, VM_W, -EFAULT},          /* runs into the hole */
        {U + VM_PAGE, 512, VM_R, -EFAULT},        /* the hole itself */
        {U + 3 * VM_PAGE, 512, VM_W, -EFAULT},    /* a device write into read-only */
        {0x80200000ul, 512, VM_R, -EFAULT},       /* kernel memory */
        {(uint64_t)-512, 1024, VM_R, -EFAULT},    /* wraps the address space */
        {VM_USER_TOP - 512, 1024, VM_R, -EFAULT}, /* past the top of user space */
        {U, 0, VM_R, -EINVAL},                    /* nothing */
        {U, VM_PIN_WINDOW_BYTES, VM_R, -EINVAL},  /* more than a window */
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err = 0;
        assert_int_equal(vm_pin(root, bad[i].va, bad[i].len, bad[i].need, &err), 0);
        assert_int_equal(err, bad[i].want);
    }
    assert_int_equal(vm_pinned_pages(), 0);
    /* Read-only memory is fine as the source of a device write. */
    uintptr_t k = vm_pin(root, U + 3 * VM_PAGE, 512, VM_R, &err);
    assert_int_not_equal(k, 0);
    vm_unpin(k, 512);
    vm_space_destroy(root);
    assert_int_equal(pages_out, kernel_pages);
}

/* A buffer within one page takes no window: the kernel address is the fiber's page in the
 * one-to-one map, however many are pinned at once, and nothing is flushed. */
static void a_one_page_buffer_is_pinned_in_place(void **state)
{
    (void)state;
    pte_t *root = vm_space_create();
    uint8_t *page = vm_map_user(root, U, VM_R | VM_W);
    uintptr_t k[2 * VM_PIN_WINDOWS];
    int err = 1;
    unsigned flushes = test_tlb_flushes;

    for (unsigned i = 0; i < 2 * VM_PIN_WINDOWS; i++) {
        k[i] = vm_pin(root, U + 8 * i, VM_PAGE - 8 * i, VM_W, &err);
        assert_int_equal(err, 0);
        assert_int_equal(k[i], (uintptr_t)page + 8 * i);
        assert_int_equal(vm_kernel_phys(k[i]), (uintptr_t)page + 8 * i);
    }
    assert_int_equal(vm_pinned_pages(), 2 * VM_PIN_WINDOWS);
    /* Windows are all still free: a two-page buffer gets one. */
    vm_map_user(root, U + VM_PAGE, VM_R);
    uintptr_t two = vm_pin(root, U + VM_PAGE - 8, 16, VM_R, &err);
    assert_int_equal(err, 0);
    assert_true(two >= VM_KSTACK_BASE && two < VM_KSTACK_END);
    vm_unpin(two, 16);
    for (unsigned i = 0; i < 2 * VM_PIN_WINDOWS; i++)
        vm_unpin(k[i], VM_PAGE - 8 * i);
    assert_int_equal(vm_pinned_pages(), 0);
    assert_int_equal(test_tlb_flushes, flushes);
    /* The read-only page refuses a device write, in place as through a window. */
    assert_int_equal(vm_pin(root, U + VM_PAGE, 64, VM_W, &err), 0);
    assert_int_equal(err, -EFAULT);
    vm_space_destroy(root);
    assert_int_equal(pages_out, kernel_pages);
}

/* Buffers of two pages (a window each) until every window is taken. */
static void windows_run_out_and_are_flushed_once_per_round(void **state)
{
    (void)state;
    pte_t *root = vm_space_create();
    vm_map_user(root, U, VM_R | VM_W);
    vm_map_user(root, U + VM_PAGE, VM_R | VM_W);
    const uint64_t va = U + VM_PAGE - 256; /* 512 bytes across the page boundary */
    uintptr_t k[VM_PIN_WINDOWS];
    int err;

    for (unsigned i = 0; i < VM_PIN_WINDOWS; i++) {
        k[i] = vm_pin(root, va, 512, VM_W, &err);
        assert_int_not_equal(k[i], 0);
    }
    assert_int_equal(vm_pin(root, va, 512, VM_W, &err), 0);
    assert_int_equal(err, -EAGAIN);
    for (unsigned i = 0; i < VM_PIN_WINDOWS; i++)
        vm_unpin(k[i], 512);
    /* Every window is stale now: the next pin flushes once, the rest of the round not at all. */
    unsigned flushes = test_tlb_flushes;
    for (unsigned round = 0; round < 3; round++) {
        for (unsigned i = 0; i < VM_PIN_WINDOWS; i++) {
            uintptr_t kva = vm_pin(root, va, 512, VM_W, &err);
            assert_int_not_equal(kva, 0);
            vm_unpin(kva, 512);
        }
        assert_int_equal(test_tlb_flushes - flushes, round + 1);
    }
    assert_int_equal(vm_pinned_pages(), 0);
    vm_space_destroy(root);
    assert_int_equal(pages_out, kernel_pages);
}

static void shared_pages_belong_to_the_space(void **state)
{
    (void)state;
    pte_t *root = vm_space_create();
    void *ring = page_alloc(1);
    assert_int_equal(vm_map_user_page(root, U, ring, VM_R | VM_W), 0);
    assert_int_equal(vm_map_user_page(root, U, ring, VM_R), -EEXIST);
    assert_int_equal(vm_map_user_page(root, U + VM_PAGE, ring, VM_R | VM_X), -EINVAL);
    assert_int_equal(vm_map_user_page(root, U + 8, ring, VM_R), -EINVAL);
    assert_ptr_equal((void *)vm_translate(root, U + 16, VM_W), (uint8_t *)ring + 16);
    vm_space_destroy(root); /* frees the ring page too */
    assert_int_equal(pages_out, kernel_pages);
}

static void activating_the_active_space_writes_nothing(void **state)
{
    (void)state;
    pte_t *root = vm_space_create();
    unsigned w = test_satp_writes;
    vm_activate(root);
    vm_activate(root);
    assert_int_equal(test_satp_writes - w, 1);
    vm_activate(NULL);
    vm_activate(NULL);
    assert_int_equal(test_satp_writes - w, 2);
    assert_int_equal(test_satp >> 60, 8); /* Sv39 */
    vm_space_destroy(root);
}

/* The kernel's own tables (vm_init keeps them for good): freed here so the leak check sees
 * exactly what the tests left. */
static int teardown_once(void **state)
{
    (void)state;
    pte_t *root = vm_kernel_root();
    pte_t l1e = root[VM_KSTACK_BASE >> 30];
    pte_t *l1 = (pte_t *)(uintptr_t)((l1e >> 10) << 12);
    for (unsigned i = 0; i < 512; i++)
        if (l1[i] & 1)
            page_free((void *)(uintptr_t)((l1[i] >> 10) << 12), 1);
    page_free(l1, 1);
    page_free(root, 1);
    assert_int_equal(pages_out, 0);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(user_mappings_keep_their_permissions),
        cmocka_unit_test(copies_stop_at_the_first_bad_page),
        cmocka_unit_test(pinning_maps_the_fibers_own_pages_in_order),
        cmocka_unit_test(pinning_crosses_user_leaf_tables),
        cmocka_unit_test(physical_runs_follow_the_pages),
        cmocka_unit_test(a_pinned_buffer_pinned_again_keeps_its_window),
        cmocka_unit_test(pinning_refuses_what_is_not_the_fibers_to_give),
        cmocka_unit_test(a_one_page_buffer_is_pinned_in_place),
        cmocka_unit_test(windows_run_out_and_are_flushed_once_per_round),
        cmocka_unit_test(shared_pages_belong_to_the_space),
        cmocka_unit_test(activating_the_active_space_writes_nothing),
    };
    return cmocka_run_group_tests(tests, setup_once, teardown_once);
}
