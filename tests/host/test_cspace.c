/* Capabilities: rights only shrink on copy, grant is needed to copy, drop empties one slot,
 * revoke removes every copy derived from a capability (copies of copies too, wherever they
 * are, even after a middle copy was dropped), revoke by object leaves one holder alone, and a
 * slot number from a fiber is checked whatever it is. No node leaks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <caps/cspace.h>

static struct cspace kernel, shell, fs, app;

static int setup(void **state)
{
    (void)state;
    cspace_init(&kernel);
    cspace_init(&shell);
    cspace_init(&fs);
    cspace_init(&app);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cspace_clear(&kernel);
    cspace_clear(&shell);
    cspace_clear(&fs);
    cspace_clear(&app);
    assert_int_equal(caps_live(), 0);
    return 0;
}

static void create_and_check(void **state)
{
    (void)state;
    struct cap_view v;
    int s = cap_create(&shell, CAP_BLOCK, 0, CAP_R | CAP_W, 0xb0);
    assert_int_equal(s, 0);
    assert_int_equal(cap_check(&shell, (uint64_t)s, CAP_BLOCK, CAP_R | CAP_W, &v), 0);
    assert_int_equal(v.object, 0);
    assert_int_equal(v.badge, 0xb0);
    assert_int_equal(cap_check(&shell, (uint64_t)s, CAP_VFS, CAP_R, &v), -EPERM); /* wrong kind */
    assert_int_equal(cap_check(&shell, (uint64_t)s, CAP_BLOCK, CAP_G, &v), -EPERM);
    assert_int_equal(cap_create(&shell, CAP_NONE, 0, CAP_R, 0), -EINVAL);
    assert_int_equal(cap_create(&shell, CAP_BLOCK, 0, 0x80, 0), -EINVAL);
    assert_int_equal(cspace_count(&shell), 1);
}

static void forged_slots(void **state)
{
    (void)state;
    static const uint64_t bad[] = {1,    2,          CSPACE_SLOTS - 1, CSPACE_SLOTS,
                                   1000, UINT32_MAX, UINT64_MAX,       1ull << 40};
    assert_int_equal(cap_create(&app, CAP_BLOCK, 1, CAP_R, 0), 0);
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(cap_check(&app, bad[i], CAP_BLOCK, CAP_R, NULL), -EBADF);
    assert_int_equal(cap_drop(&app, 7), -EBADF);
    assert_int_equal(cap_revoke(&app, 99), -EBADF);
    assert_int_equal(cap_copy(&app, 31, &shell, CAP_R, 0), -EBADF);
}

static void copy_only_shrinks(void **state)
{
    (void)state;
    int orig = cap_create(&kernel, CAP_BLOCK, 2, CAP_R | CAP_W | CAP_G, 0);
    int s = cap_copy(&kernel, (unsigned)orig, &shell, CAP_R | CAP_G, 1);
    assert_true(s >= 0);
    assert_int_equal(cap_check(&shell, (uint64_t)s, CAP_BLOCK, CAP_W, NULL), -EPERM);
    /* More rights than the source has: refused. */
    assert_int_equal(cap_copy(&shell, (unsigned)s, &app, CAP_R | CAP_W, 2), -EPERM);
    int a = cap_copy(&shell, (unsigned)s, &app, CAP_R, 2);
    assert_true(a >= 0);
    /* No grant right: cannot be passed on. */
    assert_int_equal(cap_copy(&app, (unsigned)a, &fs, CAP_R, 3), -EPERM);
    struct cap_view v;
    assert_int_equal(cap_get(&app, (unsigned)a, &v), 0);
    assert_int_equal(v.rights, CAP_R);
    assert_int_equal(v.badge, 2);
    assert_int_equal(v.object, 2);
}

static void revoke_reaches_copies_of_copies(void **state)
{
    (void)state;
    int orig = cap_create(&kernel, CAP_BLOCK, 0, CAP_R | CAP_W | CAP_G, 0);
    int s = cap_copy(&kernel, (unsigned)orig, &shell, CAP_R | CAP_W | CAP_G, 0);
    int f = cap_copy(&shell, (unsigned)s, &fs, CAP_R | CAP_G, 0);
    int a = cap_copy(&fs, (unsigned)f, &app, CAP_R, 0);
    assert_true(s >= 0 && f >= 0 && a >= 0);
    /* Dropping the middle copy keeps its copy in the tree below the shell's. */
    assert_int_equal(cap_drop(&fs, (unsigned)f), 0);
    assert_int_equal(cap_check(&app, (uint64_t)a, CAP_BLOCK, CAP_R, NULL), 0);
    assert_int_equal(cap_revoke(&shell, (unsigned)s), 1);
    assert_int_equal(cap_check(&app, (uint64_t)a, CAP_BLOCK, CAP_R, NULL), -EBADF);
    assert_int_equal(cap_check(&shell, (uint64_t)s, CAP_BLOCK, CAP_R, NULL), 0); /* itself stays */
    /* Revoking the original removes the shell's too. */
    assert_int_equal(cap_revoke(&kernel, (unsigned)orig), 1);
    assert_int_equal(cspace_count(&shell), 0);
    assert_int_equal(caps_live(), 1);
}

static void revoke_object_leaves_one_holder(void **state)
{
    (void)state;
    int orig = cap_create(&kernel, CAP_BLOCK, 5, CAP_R | CAP_W | CAP_G, 0);
    int s = cap_copy(&kernel, (unsigned)orig, &shell, CAP_R | CAP_W | CAP_G, 0);
    int f = cap_copy(&kernel, (unsigned)orig, &fs, CAP_R | CAP_W, 0);
    int other = cap_create(&shell, CAP_BLOCK, 6, CAP_R, 0);
    assert_true(s >= 0 && f >= 0 && other >= 0);
    assert_int_equal(cap_revoke_object(CAP_BLOCK, 5, &fs, (unsigned)f), 2);
    assert_int_equal(cap_check(&fs, (uint64_t)f, CAP_BLOCK, CAP_W, NULL), 0);
    assert_int_equal(cap_check(&shell, (uint64_t)s, CAP_BLOCK, CAP_R, NULL), -EBADF);
    assert_int_equal(cap_check(&shell, (uint64_t)other, CAP_BLOCK, CAP_R, NULL), 0);
}

static void full_cspace(void **state)
{
    (void)state;
    for (unsigned i = 0; i < CSPACE_SLOTS; i++)
        assert_int_equal(cap_create(&app, CAP_CONSOLE, i, CAP_R, 0), (int)i);
    assert_int_equal(cap_create(&app, CAP_CONSOLE, 99, CAP_R, 0), -ENOSPC);
    assert_int_equal(cap_drop(&app, 17), 0);
    assert_int_equal(cap_create(&app, CAP_CONSOLE, 99, CAP_R, 0), 17);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(create_and_check, setup, teardown),
        cmocka_unit_test_setup_teardown(forged_slots, setup, teardown),
        cmocka_unit_test_setup_teardown(copy_only_shrinks, setup, teardown),
        cmocka_unit_test_setup_teardown(revoke_reaches_copies_of_copies, setup, teardown),
        cmocka_unit_test_setup_teardown(revoke_object_leaves_one_holder, setup, teardown),
        cmocka_unit_test_setup_teardown(full_cspace, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
