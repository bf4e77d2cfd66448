/* NipBox's file commands, clients of the VFS channel (CMD_VFS_*, served by NexFS in its own
 * fiber) through the shell's VFS capability: ls [-l], cat, write, cp, mkdir, rmdir, rm, mv,
 * stat, df, sync, cd, pwd, hexdump, fsck. Paths are relative to the working directory (cd),
 * which the shell keeps; NexFS sees only absolute ones. Every failure is one line naming the
 * path and what NexFS said. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <abi/ion.h>
#include <abi/walltime.h>
#include <ion_gen/ion_cmds.h>
#include <nexus.h>
#include <nexus_caps.h>
#include <nexus_vfs.h>
#include <nipbox.h>

#define VFS_TYPE_DIR 0x4000u
#define IO_CHUNK     (16u * 1024u)

static char cwd[NIPBOX_PATH_MAX] = "/";
static char path_a[NIPBOX_PATH_MAX], path_b[NIPBOX_PATH_MAX];
static uint8_t chunk[IO_CHUNK];

static const char *vfs_strerror(long rc)
{
    const char *m = ion_error_message(rc);
    return m ? m : "error";
}

static int fail(const char *who, const char *path, long rc)
{
    printf("%s: %s: %s\n", who, path, vfs_strerror(rc));
    return rc < 0 ? (int)rc : -EIO;
}

int nipbox_vfs(const char *who)
{
    struct cap_info ci;
    for (unsigned slot = 0; slot < 32; slot++)
        if (nexus_cap_info(slot, &ci) == 0 && ci.kind == ION_CAP_VFS)
            return (int)slot;
    for (unsigned n = 0; n < 8; n++) { /* the first filesystem being served */
        char name[8];
        snprintf(name, sizeof(name), "vfs%u", n);
        long slot = nexus_cap_mint(name, ION_RIGHT_R | ION_RIGHT_W | ION_RIGHT_G, NULL);
        if (slot >= 0)
            return (int)slot;
    }
    printf("%s: no filesystem is mounted (mount blkN mounts one)\n", who);
    return -1;
}

int nipbox_path(const char *who, const char *path, char *out)
{
    size_t len = 0;
    const char *p = path;

    if (path[0] != '/') { /* relative: start from the working directory */
        len = strlen(cwd);
        memcpy(out, cwd, len + 1);
    } else {
        out[0] = '/';
        out[1] = '\0';
        len = 1;
    }
    while (*p) {
        while (*p == '/')
            p++;
        const char *end = p;
        while (*end && *end != '/')
            end++;
        size_t n = (size_t)(end - p);
        if (n == 0)
            break;
        if (n == 1 && p[0] == '.') {
            /* nothing */
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            while (len > 1 && out[len - 1] != '/')
                len--;
            if (len > 1)
                len--; /* the slash before the last name */
            out[len] = '\0';
        } else {
            if (len + (len > 1) + n + 1 > NIPBOX_PATH_MAX) {
                printf("%s: %s: path longer than %u bytes\n", who, path, NIPBOX_PATH_MAX - 1);
                return -1;
            }
            if (len > 1)
                out[len++] = '/';
            memcpy(out + len, p, n);
            len += n;
            out[len] = '\0';
        }
        p = end;
    }
    return 0;
}

int nipbox_file_put(const char *who, const char *path, const void *buf, size_t len, int append)
{
    int vfs = nipbox_vfs(who);
    if (vfs < 0 || nipbox_path(who, path, path_a))
        return -1;
    unsigned flags = VFS_O_WRONLY | VFS_O_CREAT | (append ? VFS_O_APPEND : VFS_O_TRUNC);
    long fd = nexus_vfs_open((unsigned)vfs, path_a, flags);
    if (fd < 0)
        return fail(who, path_a, fd), -1;
    long rc = len ? nexus_vfs_write((unsigned)vfs, fd, buf, len) : 0;
    long cr = nexus_vfs_close((unsigned)vfs, fd);
    if (rc >= 0 && (size_t)rc != len) {
        printf("%s: %s: only %ld of %zu bytes written\n", who, path_a, rc, len);
        return -1;
    }
    if (rc < 0 || cr < 0)
        return fail(who, path_a, rc < 0 ? rc : cr), -1;
    return 0;
}

long nipbox_file_load(const char *who, const char *path, void *buf, size_t max, int quiet)
{
    int vfs = quiet ? -1 : nipbox_vfs(who);
    struct cap_info ci;
    if (quiet) /* only a filesystem the shell already reaches: no line when there is none */
        for (unsigned slot = 0; vfs < 0 && slot < 32; slot++)
            if (nexus_cap_info(slot, &ci) == 0 && ci.kind == ION_CAP_VFS)
                vfs = (int)slot;
    if (vfs < 0 || nipbox_path(who, path, path_a))
        return -ENOENT;
    long fd = nexus_vfs_open((unsigned)vfs, path_a, VFS_O_RDONLY);
    if (fd < 0)
        return quiet ? fd : fail(who, path_a, fd);
    uint8_t *p = buf;
    size_t len = 0;
    long n = 0;
    while (len < max && (n = nexus_vfs_read((unsigned)vfs, fd, p + len, max - len)) > 0)
        len += (size_t)n;
    uint8_t extra;
    long more = n >= 0 && len == max ? nexus_vfs_read((unsigned)vfs, fd, &extra, 1) : 0;
    (void)nexus_vfs_close((unsigned)vfs, fd);
    if (n < 0)
        return fail(who, path_a, n);
    if (more > 0) {
        printf("%s: %s: larger than %zu bytes\n", who, path_a, max);
        return -EFBIG;
    }
    return (long)len;
}

/* "drwxr-xr-x" from a POSIX mode. */
static void mode_text(uint32_t mode, char out[11])
{
    static const char rwx[] = "rwxrwxrwx";
    out[0] = (mode & 0xf000u) == VFS_TYPE_DIR ? 'd' : '-';
    for (unsigned i = 0; i < 9; i++)
        out[1 + i] = (mode & (0400u >> i)) ? rwx[i] : '-';
    out[10] = '\0';
}

static void long_line(unsigned vfs, const char *dir, const char *name)
{
    struct vfs_stat st;
    char mode[11], when[WALLTIME_STR_LEN] = "-";
    size_t n = strlen(dir);

    if (n + 1 + strlen(name) + 1 > sizeof(path_b))
        return (void)printf("?          %s\n", name);
    snprintf(path_b, sizeof(path_b), "%s%s%s", dir, n > 1 ? "/" : "", name);
    long rc = nexus_vfs_stat(vfs, path_b, &st);
    if (rc < 0)
        return (void)printf("?          %s (%s)\n", name, vfs_strerror(rc));
    mode_text(st.mode, mode);
    if (st.mtime_ns)
        walltime_format(st.mtime_ns, WALLTIME_TEXT, when);
    printf("%s %3u %10llu  %s  %s\n", mode, st.nlink, (unsigned long long)st.size, when, name);
}

static int cmd_ls(int argc, char **argv)
{
    struct vfs_dirent de;
    int longf = argc > 1 && strcmp(argv[1], "-l") == 0;
    int vfs = nipbox_vfs("ls");

    if (argc > 2 + longf) {
        printf("usage: ls [-l] [dir]\n");
        return -EINVAL;
    }
    if (vfs < 0 || nipbox_path("ls", argc > 1 + longf ? argv[1 + longf] : ".", path_a))
        return -EINVAL;
    long fd = nexus_vfs_open((unsigned)vfs, path_a, VFS_O_RDONLY);
    if (fd < 0)
        return fail("ls", path_a, fd);
    long rc;
    while ((rc = nexus_vfs_readdir((unsigned)vfs, fd, &de)) == 1) {
        if (longf)
            long_line((unsigned)vfs, path_a, de.name);
        else
            printf("%s%s\n", de.name, de.mode == VFS_TYPE_DIR ? "/" : "");
    }
    (void)nexus_vfs_close((unsigned)vfs, fd);
    return rc < 0 ? fail("ls", path_a, rc) : 0;
}

/* Reads the file at path chunk by chunk into fn: 0, or -errno with the line said. */
static int read_file(const char *who, const char *path,
                     void (*fn)(const uint8_t *, size_t, uint64_t))
{
    int vfs = nipbox_vfs(who);
    uint64_t off = 0;
    if (vfs < 0 || nipbox_path(who, path, path_a))
        return -EINVAL;
    long fd = nexus_vfs_open((unsigned)vfs, path_a, VFS_O_RDONLY);
    if (fd < 0)
        return fail(who, path_a, fd);
    long n;
    while ((n = nexus_vfs_read((unsigned)vfs, fd, chunk, sizeof(chunk))) > 0 &&
           !nipbox_interrupted()) {
        fn(chunk, (size_t)n, off);
        off += (uint64_t)n;
    }
    (void)nexus_vfs_close((unsigned)vfs, fd);
    return n < 0 ? fail(who, path_a, n) : 0;
}

static void to_console(const uint8_t *p, size_t n, uint64_t off)
{
    (void)off;
    fflush(stdout);
    (void)nexus_write(p, n);
}

static int cmd_cat(int argc, char **argv)
{
    if (argc != 2) {
        printf("usage: cat <file>\n");
        return -EINVAL;
    }
    return read_file("cat", argv[1], to_console);
}

static int cmd_hexdump(int argc, char **argv)
{
    if (argc != 2) {
        printf("usage: hexdump <file>\n");
        return -EINVAL;
    }
    return read_file("hexdump", argv[1], nipbox_hexdump);
}

/* write <file> <text...>: the words joined by single spaces, exactly (no newline added). */
static int cmd_write(int argc, char **argv)
{
    static char text[2048];
    if (argc < 3) {
        printf("usage: write <file> <text...>\n");
        return -EINVAL;
    }
    long joined = nipbox_join("write", argv + 2, argc - 2, text, sizeof(text), 0);
    if (joined < 0)
        return -E2BIG;
    size_t len = (size_t)joined;
    if (nipbox_file_put("write", argv[1], text, len, 0))
        return -EIO;
    printf("write: %zu bytes to %s\n", len, path_a);
    return 0;
}

static int cmd_cp(int argc, char **argv)
{
    int vfs = nipbox_vfs("cp");
    if (argc != 3) {
        printf("usage: cp <from> <to>\n");
        return -EINVAL;
    }
    if (vfs < 0 || nipbox_path("cp", argv[1], path_a) || nipbox_path("cp", argv[2], path_b))
        return -EINVAL;
    long in = nexus_vfs_open((unsigned)vfs, path_a, VFS_O_RDONLY);
    if (in < 0)
        return fail("cp", path_a, in);
    long out = nexus_vfs_open((unsigned)vfs, path_b, VFS_O_WRONLY | VFS_O_CREAT | VFS_O_TRUNC);
    if (out < 0) {
        (void)nexus_vfs_close((unsigned)vfs, in);
        return fail("cp", path_b, out);
    }
    long n, w = 0;
    uint64_t total = 0;
    while ((n = nexus_vfs_read((unsigned)vfs, in, chunk, sizeof(chunk))) > 0) {
        w = nexus_vfs_write((unsigned)vfs, out, chunk, (uint64_t)n);
        if (w != n)
            break;
        total += (uint64_t)n;
    }
    (void)nexus_vfs_close((unsigned)vfs, in);
    long c = nexus_vfs_close((unsigned)vfs, out);
    if (n < 0)
        return fail("cp", path_a, n);
    if (w < 0 || c < 0)
        return fail("cp", path_b, w < 0 ? w : c);
    if (n > 0) {
        printf("cp: %s: short write after %llu bytes\n", path_b, (unsigned long long)total);
        return -EIO;
    }
    printf("cp: %llu bytes from %s to %s\n", (unsigned long long)total, path_a, path_b);
    return 0;
}

/* The type of path ("dir" or "file"): 1 directory, 0 file, -errno with the line said. */
static int is_dir(const char *who, unsigned vfs, const char *path)
{
    struct vfs_stat st;
    long rc = nexus_vfs_stat(vfs, path, &st);
    if (rc < 0)
        return fail(who, path, rc);
    return (st.mode & 0xf000u) == VFS_TYPE_DIR;
}

/* mkdir, rmdir, rm: one path each; rm refuses a directory and rmdir a file, as users expect. */
static int path_op(int argc, char **argv)
{
    const char *who = argv[0];
    int vfs = nipbox_vfs(who);
    if (argc != 2) {
        printf("usage: %s <path>\n", who);
        return -EINVAL;
    }
    if (vfs < 0 || nipbox_path(who, argv[1], path_a))
        return -EINVAL;
    long rc;
    if (strcmp(who, "mkdir") == 0) {
        rc = nexus_vfs_mkdir((unsigned)vfs, path_a);
    } else {
        int d = is_dir(who, (unsigned)vfs, path_a);
        if (d < 0)
            return d;
        if (strcmp(who, "rm") == 0 && d)
            return printf("rm: %s: is a directory (rmdir removes an empty one)\n", path_a), -EISDIR;
        if (strcmp(who, "rmdir") == 0 && !d)
            return printf("rmdir: %s: not a directory\n", path_a), -ENOTDIR;
        rc = nexus_vfs_unlink((unsigned)vfs, path_a);
    }
    return rc < 0 ? fail(who, path_a, rc) : 0;
}

static int cmd_mv(int argc, char **argv)
{
    int vfs = nipbox_vfs("mv");
    if (argc != 3) {
        printf("usage: mv <from> <to>\n");
        return -EINVAL;
    }
    if (vfs < 0 || nipbox_path("mv", argv[1], path_a) || nipbox_path("mv", argv[2], path_b))
        return -EINVAL;
    long rc = nexus_vfs_rename((unsigned)vfs, path_a, path_b);
    return rc < 0 ? fail("mv", path_a, rc) : 0;
}

static int cmd_stat(int argc, char **argv)
{
    struct vfs_stat st;
    char mode[11], when[WALLTIME_STR_LEN] = "unknown";
    int vfs = nipbox_vfs("stat");
    if (argc != 2) {
        printf("usage: stat <path>\n");
        return -EINVAL;
    }
    if (vfs < 0 || nipbox_path("stat", argv[1], path_a))
        return -EINVAL;
    long rc = nexus_vfs_stat((unsigned)vfs, path_a, &st);
    if (rc < 0)
        return fail("stat", path_a, rc);
    mode_text(st.mode, mode);
    if (st.mtime_ns)
        walltime_format(st.mtime_ns, WALLTIME_TEXT, when);
    printf("%s: %s, %llu bytes, mode %s, %u links, inode %u, modified %s\n", path_a,
           (st.mode & 0xf000u) == VFS_TYPE_DIR ? "directory" : "file", (unsigned long long)st.size,
           mode, st.nlink, st.ino, when);
    return 0;
}

static int cmd_df(int argc, char **argv)
{
    struct vfs_statfs sf;
    int vfs = nipbox_vfs("df");
    (void)argv;
    if (argc != 1) {
        printf("usage: df\n");
        return -EINVAL;
    }
    if (vfs < 0)
        return -ENODEV;
    long rc = nexus_vfs_statfs((unsigned)vfs, &sf);
    if (rc < 0)
        return fail("df", "/", rc);
    uint64_t kib = sf.blocks * sf.block_size / 1024, free = sf.blocks_free * sf.block_size / 1024;
    printf("df: %llu KiB, %llu KiB used, %llu KiB free (%u-byte blocks); %u inodes, %u free\n",
           (unsigned long long)kib, (unsigned long long)(kib - free), (unsigned long long)free,
           sf.block_size, sf.inodes, sf.inodes_free);
    return 0;
}

static int cmd_sync(int argc, char **argv)
{
    int vfs = nipbox_vfs("sync");
    (void)argc;
    (void)argv;
    if (vfs < 0)
        return -ENODEV;
    long rc = nexus_vfs_sync((unsigned)vfs);
    return rc < 0 ? fail("sync", "/", rc) : 0;
}

static int cmd_fsck(int argc, char **argv)
{
    int vfs = nipbox_vfs("fsck");
    (void)argc;
    (void)argv;
    if (vfs < 0)
        return -ENODEV;
    long rc = nexus_vfs_fsck((unsigned)vfs);
    if (rc < 0)
        return fail("fsck", "/", rc);
    if (rc == 0)
        printf("fsck: clean\n");
    else if (rc == 8)
        printf("fsck: could not check (NexFS said why above)\n");
    else
        printf("fsck: problems found (code %ld; fsck.nexfs -y on the host repairs them)\n", rc);
    return rc ? -EIO : 0;
}

static int cmd_cd(int argc, char **argv)
{
    int vfs = nipbox_vfs("cd");
    if (argc > 2) {
        printf("usage: cd [dir]\n");
        return -EINVAL;
    }
    if (vfs < 0 || nipbox_path("cd", argc == 2 ? argv[1] : "/", path_a))
        return -EINVAL;
    int d = is_dir("cd", (unsigned)vfs, path_a);
    if (d < 0)
        return d;
    if (!d)
        return printf("cd: %s: not a directory\n", path_a), -ENOTDIR;
    memcpy(cwd, path_a, strlen(path_a) + 1);
    return 0;
}

static int cmd_pwd(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("%s\n", cwd);
    return 0;
}

NIPBOX_COMMAND(ls, "ls", "ls [-l] [dir]", "list a directory (-l: mode, links, size, date)", cmd_ls);
NIPBOX_COMMAND(cat, "cat", "cat <file>", "print a file", cmd_cat);
NIPBOX_COMMAND(hexdump, "hexdump", "hexdump <file>", "a file in hex and ASCII", cmd_hexdump);
NIPBOX_COMMAND(write, "write", "write <file> <text...>",
               "make file hold exactly the text (echo text > file adds a newline)", cmd_write);
NIPBOX_COMMAND(cp, "cp", "cp <from> <to>", "copy a file", cmd_cp);
NIPBOX_COMMAND(mkdir, "mkdir", "mkdir <dir>", "make a directory", path_op);
NIPBOX_COMMAND(rmdir, "rmdir", "rmdir <dir>", "remove an empty directory", path_op);
NIPBOX_COMMAND(rm, "rm", "rm <file>", "remove a file", path_op);
NIPBOX_COMMAND(mv, "mv", "mv <from> <to>", "rename (replacing an existing file)", cmd_mv);
NIPBOX_COMMAND(stat, "stat", "stat <path>", "type, size, mode, links, inode, date", cmd_stat);
NIPBOX_COMMAND(df, "df", "df", "the filesystem's size and free space", cmd_df);
NIPBOX_COMMAND(sync, "sync", "sync", "make every change durable", cmd_sync);
NIPBOX_COMMAND(fsck, "fsck", "fsck", "check the mounted filesystem (read-only)", cmd_fsck);
NIPBOX_COMMAND(cd, "cd", "cd [dir]", "change the working directory (/ without one)", cmd_cd);
NIPBOX_COMMAND(pwd, "pwd", "pwd", "the working directory", cmd_pwd);
