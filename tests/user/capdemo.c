/* capdemo: capabilities passed from fiber to fiber through the kernel (tests/qemu/test_caps.py).
 * Slot 0 must hold a block capability given by the shell; each scenario prints
 * `capdemo NAME = RESULT` lines the test compares.
 *   capdemo pass     children get copies with fewer rights; more than held is refused
 *   capdemo revoke   a child reading through a copy loses it when the parent revokes
 *   capdemo grant    a copy given to a running child
 *   capdemo kill     a child ended by its parent; only children can be waited for or killed
 *   capdemo orphan   exits without waiting for its child (which the kernel then reaps)
 *   capdemo settings changes blk0's completion settings (spin, polled) through the kernel's
 *                    `blk` service: they change the disk for every user, so need write + grant
 *   capdemo reader   (the child of revoke and grant) reads block 0 until it fails */
#include <stdio.h>
#include <string.h>

#include <nexus.h>
#include <nexus_blk.h>
#include <nexus_caps.h>

static uint8_t buf[512] __attribute__((aligned(512)));

static void show(const char *name, long v)
{
    printf("capdemo %s = %ld\n", name, v);
}

static long run(const char *const argv[], int argc, unsigned rights)
{
    struct spawn_cap c = {.slot = 0, .rights = rights};
    long id = nexus_spawn(argc, argv, &c, 1);
    return id < 0 ? id : nexus_wait(id);
}

static int reader(void)
{
    long n = 0, rc;
    nexus_sleep_ns(50000000); /* the parent acts first */
    while ((rc = nexus_blk_read(0, 0, 1, buf, sizeof(buf))) >= 0 && n < 1000) {
        n++;
        nexus_sleep_ns(5000000);
    }
    printf("reader: %ld reads, then %ld\n", n, rc);
    return 0;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    const char *rd[] = {"blkio", "read", "0", "1"};
    const char *wr[] = {"blkio", "write", "0", "1", "7"};
    const char *child[] = {"capdemo", "reader"};

    if (strcmp(what, "reader") == 0)
        return reader();
    if (strcmp(what, "pass") == 0) {
        show("read-with-r", run(rd, 4, ION_RIGHT_R));
        show("write-with-r", run(wr, 5, ION_RIGHT_R)); /* blkio exits 1: permission denied */
        show("write-with-rw", run(wr, 5, ION_RIGHT_R | ION_RIGHT_W));
        show("more-than-held", run(rd, 4, 0x8));
        show("bad-slot", nexus_spawn(4, rd, &(struct spawn_cap){.slot = 31, .rights = 1}, 1));
        show("no-program", nexus_spawn(1, (const char *[]){"nothere"}, NULL, 0));
        return 0;
    }
    if (strcmp(what, "revoke") == 0) {
        struct spawn_cap c = {.slot = 0, .rights = ION_RIGHT_R | ION_RIGHT_G};
        long id = nexus_spawn(2, child, &c, 1);
        nexus_sleep_ns(200000000);
        show("revoked", nexus_cap_revoke(0));
        show("child-status", nexus_wait(id));
        show("parent-still-reads", nexus_blk_read(0, 0, 1, buf, sizeof(buf)));
        return 0;
    }
    if (strcmp(what, "grant") == 0) {
        long id = nexus_spawn(2, child, NULL, 0);
        show("granted-slot", nexus_cap_grant(0, id, ION_RIGHT_R));
        show("grant-more", nexus_cap_grant(0, id, 0x10));
        nexus_sleep_ns(100000000);
        show("kill", nexus_kill(id));
        show("child-status", nexus_wait(id));
        return 0;
    }
    if (strcmp(what, "kill") == 0) {
        long id = nexus_spawn(2, (const char *[]){"spin", "0"}, NULL, 0);
        nexus_sleep_ns(50000000);
        show("kill", nexus_kill(id));
        show("status", nexus_wait(id));
        show("wait-again", nexus_wait(id));
        show("kill-not-child", nexus_kill(1));
        show("wait-self", nexus_wait(nexus_getpid()));
        return 0;
    }
    if (strcmp(what, "orphan") == 0) {
        show("spawned", nexus_spawn(2, (const char *[]){"hello", "0"}, NULL, 0) > 0);
        return 0;
    }
    if (strcmp(what, "settings") == 0) { /* set to what they are at boot: harmless if allowed */
        char *spin[] = {"blk", "spin", "blk0", "100"}, *polled[] = {"blk", "polled", "blk0", "off"};
        show("spin", nexus_service(4, spin));
        show("polled", nexus_service(4, polled));
        return 0;
    }
    printf("usage: capdemo pass|revoke|grant|kill|orphan|settings\n");
    return 2;
}
