/* NipBox's fiber and capability commands: `run` starts a program (embedded in the kernel, or an
 * ELF file on the mounted filesystem: by path, or /bin/<name>) as the shell's child
 * (in the foreground, where Ctrl-C ends it, or in the background with -b) with copies of the
 * capabilities named by -c in slots 0, 1, ... (the shell makes one it lacks from the machine
 * capability); `kill` ends a user fiber; `caps` lists the shell's slots and `caps drop` gives one
 * up for good. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <abi/ion.h>
#include <ion_gen/ion_cmds.h>
#include <nexus.h>
#include <nexus_caps.h>
#include <nipbox.h>

/* The foreground wait looks at Ctrl-C at least this often (10 s); a Ctrl-C ends the wait at once
 * (the kernel pokes timed waits), so the shell does not wake a hundred times a second under a
 * benchmark. */
#define POLL_NS      10000000000ull
#define RUN_CAPS_MAX 8
#define CAPS_SLOTS   32u
#define ALL_RIGHTS   (ION_RIGHT_R | ION_RIGHT_W | ION_RIGHT_G)

/* "blk0", "blk0:r", "blk0:rw", "blk0:rwg": the object's name (cut at ':') and the rights. */
static int parse_cap(char *spec, unsigned *rights)
{
    char *colon = strchr(spec, ':');
    const char *r = colon ? colon + 1 : "rw";

    *rights = 0;
    if (colon)
        *colon = '\0';
    for (; *r; r++) {
        unsigned bit = *r == 'r'   ? ION_RIGHT_R
                       : *r == 'w' ? ION_RIGHT_W
                       : *r == 'g' ? ION_RIGHT_G
                                   : 0;
        if (!bit || (*rights & bit))
            return -EINVAL;
        *rights |= bit;
    }
    return *rights ? 0 : -EINVAL;
}

/* A slot of the shell's holding `name` with the grant right and every right in `rights`:
 * one it has, or one made now from the machine capability (*minted set: the shell drops it
 * once the child has its copy). -errno with the line said. */
static int cap_for_child(const char *name, unsigned rights, int *minted)
{
    int32_t holder = -1;
    int slot = nipbox_cap_slot(name, rights | ION_RIGHT_G);
    *minted = 0;
    if (slot >= 0)
        return slot;
    long rc = nexus_cap_mint(name, ALL_RIGHTS, &holder);
    *minted = rc >= 0;
    if (rc >= 0)
        return (int)rc;
    if (rc == -EBUSY)
        printf("run: %s is mounted by NexFS (vfs%d): give the program vfs%d instead\n", name,
               (int)holder, (int)holder);
    else if (rc == -ENODEV)
        printf("run: no device or object named %s\n", name);
    else
        printf("run: cannot give %s (%s)\n", name,
               rc == -ENOSPC  ? "capability space full"
               : rc == -EPERM ? "the shell holds no machine capability"
                              : "out of capabilities");
    return (int)rc;
}

/* Programs from files: read whole into this buffer, then handed to the kernel's loader. */
#define IMAGE_MAX (2u << 20)
static uint8_t image[IMAGE_MAX];

/* Starts argv[0]: a path (with a '/') names a file on the mounted filesystem; a plain name an
 * embedded program, or else /bin/<name> on the filesystem. The child's id, or -errno
 * (-ENOENT: neither). */
static long start_program(int argc, char **argv, const struct spawn_cap *caps, unsigned flags)
{
    const char *name = argv[0], *slash = strrchr(name, '/');
    char bin[64];
    long len;

    if (!slash) {
        long id = nexus_spawn(argc, (const char *const *)argv, caps, flags);
        if (id != -ENOENT || strlen(name) + 6 > sizeof(bin))
            return id;
        snprintf(bin, sizeof(bin), "/bin/%s", name);
        len = nipbox_file_load("run", bin, image, sizeof(image), 1);
    } else {
        len = nipbox_file_load("run", name, image, sizeof(image), 0);
    }
    if (len < 0)
        return len == -ENOENT && !slash ? -ENOENT : -EALREADY; /* -EALREADY: said already */
    struct spawn_image img = {.addr = (uint64_t)(uintptr_t)image, .len = (uint64_t)len};
    snprintf(img.name, sizeof(img.name), "%s", slash ? slash + 1 : name);
    return nexus_spawn_image(&img, argc, (const char *const *)argv, caps, flags);
}

static void drop_minted(const struct spawn_cap *caps, const int *minted, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (minted[i])
            (void)nexus_cap_drop(caps[i].slot);
}

static int cmd_run(int argc, char **argv)
{
    int background = 0, first = 1;
    char *names[RUN_CAPS_MAX];
    struct spawn_cap caps[RUN_CAPS_MAX];
    int minted[RUN_CAPS_MAX] = {0};
    unsigned ncaps = 0;

    for (; first < argc && argv[first][0] == '-'; first++) {
        if (strcmp(argv[first], "-b") == 0) {
            background = 1;
        } else if (strcmp(argv[first], "-c") == 0 && first + 1 < argc && ncaps < RUN_CAPS_MAX) {
            names[ncaps++] = argv[++first];
        } else {
            printf("run: unknown option %s\n", argv[first]);
            return -EINVAL;
        }
    }
    if (argc <= first) {
        printf("usage: run [-b] [-c <dev>[:r|:rw|:rwg]]... <program|/path> [args...]\n");
        char *list[] = {"programs", NULL};
        (void)nexus_service(1, list);
        return -EINVAL;
    }
    for (unsigned i = 0; i < ncaps; i++) {
        if (parse_cap(names[i], &caps[i].rights)) {
            printf("run: bad capability %s (want <dev>, <dev>:r, <dev>:rw or <dev>:rwg)\n",
                   names[i]);
            return -EINVAL;
        }
        int slot = cap_for_child(names[i], caps[i].rights, &minted[i]);
        if (slot < 0) {
            drop_minted(caps, minted, i);
            return slot;
        }
        caps[i].slot = (uint32_t)slot;
    }
    /* A background program is the kernel's to reap: it says how it ended, as it ends. */
    long id =
        start_program(argc - first, &argv[first], caps, ncaps | (background ? SPAWN_DETACH : 0));
    drop_minted(caps, minted, ncaps); /* the child holds its own copies (they stay) */
    if (id == -ENOENT) {
        printf("run: no program named %s\n", argv[first]);
        char *list[] = {"programs", NULL};
        (void)nexus_service(1, list);
        return (int)id;
    }
    if (id == -EALREADY)
        return -EIO; /* reading the file failed, and it said why */
    if (id < 0) {
        printf("run: %s: cannot start (%s)\n", argv[first],
               id == -ENOEXEC  ? "not a valid program image"
               : id == -EAGAIN ? "no free fiber"
               : id == -EBUSY  ? "a disk it was to get is mounted by NexFS"
               : id == -E2BIG  ? "image too large"
                               : "out of memory");
        return (int)id;
    }
    if (background) {
        printf("run: %s is fiber %ld\n", argv[first], id);
        return 0;
    }
    (void)nipbox_interrupted(); /* a Ctrl-C typed before this program is not for it */
    long status;
    while ((status = nexus_wait_ns(id, POLL_NS)) == -ETIMEDOUT) {
        if (nipbox_interrupted()) {
            (void)nexus_kill(id);
            printf("^C\n");
        }
    }
    if (status)
        printf("run: %s exited with status %ld\n", argv[first], status);
    return 0;
}

static int cmd_kill(int argc, char **argv)
{
    uint64_t id;

    if (argc != 2 || parse_uint(argv[1], 1023, &id)) {
        printf("usage: kill <fiber id>  (ps lists them)\n");
        return -EINVAL;
    }
    long rc = nexus_kill((long)id);
    if (rc == -ESRCH || rc == -ECHILD)
        printf("kill: no fiber %llu\n", (unsigned long long)id);
    else if (rc == -EPERM)
        printf("kill: fiber %llu cannot be killed\n", (unsigned long long)id);
    else
        printf("kill: fiber %llu killed\n", (unsigned long long)id);
    return (int)rc;
}

static void rights_text(unsigned r, char out[4])
{
    unsigned n = 0;
    if (r & ION_RIGHT_R)
        out[n++] = 'r';
    if (r & ION_RIGHT_W)
        out[n++] = 'w';
    if (r & ION_RIGHT_G)
        out[n++] = 'g';
    out[n] = '\0';
}

static int cmd_caps(int argc, char **argv)
{
    struct cap_info ci;
    char r[4];

    if (argc == 1) {
        unsigned shown = 0;
        printf("slot  object    rights\n");
        for (unsigned slot = 0; slot < CAPS_SLOTS; slot++) {
            if (nexus_cap_info(slot, &ci) != 0)
                continue;
            rights_text(ci.rights, r);
            printf("%4u  %-8s  %s\n", slot, ci.name[0] ? ci.name : "?", r);
            shown++;
        }
        if (!shown)
            printf("caps: the shell holds no capabilities\n");
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "drop") == 0) {
        int slot = nipbox_cap_slot(argv[2], 0);
        if (slot < 0) {
            printf("caps: the shell holds no capability to %s\n", argv[2]);
            return -ENOENT;
        }
        for (; slot >= 0; slot = nipbox_cap_slot(argv[2], 0))
            if (nexus_cap_drop((unsigned)slot) < 0)
                return -EIO;
        printf("caps: dropped %s\n", argv[2]);
        return 0;
    }
    printf("usage: caps [drop <object>]\n");
    return -EINVAL;
}

NIPBOX_COMMAND(run, "run", "run [-b] [-c <dev>[:r|:rw|:rwg]]... <program|/path> [args...]",
               "start a user program: embedded, a file, or /bin/<name> (Ctrl-C ends it; -b: in "
               "the background; -c: give it a capability (blk0, net0, ...), slots 0, 1, ...)",
               cmd_run);
NIPBOX_COMMAND(kill, "kill", "kill <id>", "end a user fiber", cmd_kill);
NIPBOX_COMMAND(caps, "caps", "caps [drop <object>]",
               "the shell's capabilities; drop gives one up (its copies in children stay)",
               cmd_caps);
