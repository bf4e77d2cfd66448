/* fsh: files through the VFS channel on the capability in slot 0 (`run -c vfs0 fsh ls /`): the
 * kernel forwards every call to the fiber serving it (nexfsd); this program never sees a disk.
 *   fsh ls [dir] | cat FILE | write FILE TEXT... | mkdir DIR | rm PATH | mv FROM TO | stat PATH |
 *       hash FILE */
#include <stdio.h>
#include <string.h>

#include <nexus.h>
#include <nexus_blk.h>
#include <nexus_vfs.h>

#define SLOT 0u

static char buf[16384];

static int fail(const char *what, long rc)
{
    const char *m = ion_error_message(rc);
    printf("fsh: %s: %s\n", what, m ? m : "error");
    return 1;
}

static int ls(const char *dir)
{
    struct vfs_dirent de;
    long fd = nexus_vfs_open(SLOT, dir, VFS_O_RDONLY), rc;
    if (fd < 0)
        return fail(dir, fd);
    while ((rc = nexus_vfs_readdir(SLOT, fd, &de)) == 1)
        printf("%s%s\n", de.name, (de.mode & 0xf000) == 0x4000 ? "/" : "");
    nexus_vfs_close(SLOT, fd);
    return rc < 0 ? fail(dir, rc) : 0;
}

static int cat(const char *file, int hash)
{
    uint64_t h = 0xcbf29ce484222325ull, total = 0;
    long fd = nexus_vfs_open(SLOT, file, VFS_O_RDONLY), n;
    if (fd < 0)
        return fail(file, fd);
    while ((n = nexus_vfs_read(SLOT, fd, buf, sizeof(buf))) > 0) {
        for (long i = 0; hash && i < n; i++)
            h = (h ^ (uint8_t)buf[i]) * 0x100000001b3ull;
        if (!hash)
            fwrite(buf, 1, (size_t)n, stdout);
        total += (uint64_t)n;
    }
    nexus_vfs_close(SLOT, fd);
    if (n < 0)
        return fail(file, n);
    if (hash)
        printf("fsh: %s: %llu bytes, fnv %016llx\n", file, (unsigned long long)total,
               (unsigned long long)h);
    return 0;
}

static int write_file(const char *file, int argc, char **argv)
{
    size_t len = 0;
    for (int i = 0; i < argc; i++) {
        size_t w = strlen(argv[i]);
        if (len + w + 2 > sizeof(buf))
            return printf("fsh: text longer than %zu bytes\n", sizeof(buf) - 1), 1;
        memcpy(buf + len, argv[i], w);
        len += w;
        buf[len++] = i + 1 < argc ? ' ' : '\n';
    }
    long fd = nexus_vfs_open(SLOT, file, VFS_O_WRONLY | VFS_O_CREAT | VFS_O_TRUNC);
    if (fd < 0)
        return fail(file, fd);
    long n = nexus_vfs_write(SLOT, fd, buf, len);
    long rc = n < 0 ? n : nexus_vfs_fsync(SLOT, fd);
    nexus_vfs_close(SLOT, fd);
    return rc < 0 ? fail(file, rc) : 0;
}

int main(int argc, char **argv)
{
    const char *op = argc > 1 ? argv[1] : "";
    struct vfs_stat st;
    long rc;

    if (strcmp(op, "ls") == 0 && argc <= 3)
        return ls(argc == 3 ? argv[2] : "/");
    if ((strcmp(op, "cat") == 0 || strcmp(op, "hash") == 0) && argc == 3)
        return cat(argv[2], op[0] == 'h');
    if (strcmp(op, "write") == 0 && argc >= 4)
        return write_file(argv[2], argc - 3, argv + 3);
    if (strcmp(op, "mkdir") == 0 && argc == 3)
        return (rc = nexus_vfs_mkdir(SLOT, argv[2])) < 0 ? fail(argv[2], rc) : 0;
    if (strcmp(op, "rm") == 0 && argc == 3)
        return (rc = nexus_vfs_unlink(SLOT, argv[2])) < 0 ? fail(argv[2], rc) : 0;
    if (strcmp(op, "mv") == 0 && argc == 4)
        return (rc = nexus_vfs_rename(SLOT, argv[2], argv[3])) < 0 ? fail(argv[2], rc) : 0;
    if (strcmp(op, "stat") == 0 && argc == 3) {
        if ((rc = nexus_vfs_stat(SLOT, argv[2], &st)) < 0)
            return fail(argv[2], rc);
        printf("fsh: %s: inode %u, %s, %llu bytes, %u links\n", argv[2], st.ino,
               (st.mode & 0xf000) == 0x4000 ? "directory" : "file", (unsigned long long)st.size,
               st.nlink);
        return 0;
    }
    printf("usage: fsh ls [dir] | cat F | write F TEXT | mkdir D | rm P | mv A B | stat P | "
           "hash F\n");
    return 2;
}
