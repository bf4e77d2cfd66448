/* nexfs IMG COMMAND ...: files in a NexFS image from the host (mtools/e2tools style).
 *   ls [-l] [-r] [PATH]   cat PATH...   put [-r] HOSTPATH PATH   get [-r] PATH HOSTPATH
 *   mkdir [-p] PATH...    rm [-r] PATH...   mv FROM TO   stat PATH...   df   tree [PATH]
 * Paths inside the image start at its root. Errors: one line, exit status 1. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hostdev.h"

static struct nexfs fs;
static const char *cmd;
static int status;

static int err(const char *what, int rc)
{
    fprintf(stderr, "nexfs %s: %s: %s\n", cmd, what, nexfs_strerror(rc));
    status = 1;
    return rc;
}

static int herr(const char *what)
{
    fprintf(stderr, "nexfs %s: %s: %s\n", cmd, what, strerror(errno));
    status = 1;
    return -1;
}

static void join(char *out, size_t n, const char *dir, const char *name)
{
    size_t l = strlen(dir);
    snprintf(out, n, "%s%s%s", dir, (l && dir[l - 1] == '/') ? "" : "/", name);
}

static const char *base(const char *p)
{
    static char b[NEXFS_PATH_MAX];
    snprintf(b, sizeof(b), "%s", p);
    size_t l = strlen(b);
    while (l > 1 && b[l - 1] == '/')
        b[--l] = 0;
    const char *s = strrchr(b, '/');
    return s ? s + 1 : b;
}

static void print_long(const char *name, const struct nexfs_stat *st)
{
    char when[32];
    time_t t = (time_t)(st->mtime_ns / 1000000000ull);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
    printf("%c%04o %3u %10llu %s %s\n", (st->mode & NEXFS_S_IFMT) == NEXFS_S_IFDIR ? 'd' : '-',
           st->mode & 07777, st->nlink, (unsigned long long)st->size, when, name);
}

static int ls(const char *path, int lng, int rec, int depth, int tree)
{
    int fd = nexfs_open(&fs, path, NEXFS_O_RDONLY, 0);
    if (fd < 0)
        return err(path, fd);
    struct nexfs_stat st;
    nexfs_fstat(&fs, fd, &st);
    if ((st.mode & NEXFS_S_IFMT) != NEXFS_S_IFDIR) {
        nexfs_close(&fs, fd);
        if (lng)
            print_long(path, &st);
        else
            printf("%s\n", path);
        return 0;
    }
    struct nexfs_dirent de;
    int rc;
    while ((rc = nexfs_readdir(&fs, fd, &de)) == 1) {
        char child[NEXFS_PATH_MAX];
        join(child, sizeof(child), path, de.name);
        if (tree)
            printf("%*s%s%s\n", 2 * depth, "", de.name, de.type == NEXFS_S_IFDIR ? "/" : "");
        else if (lng && nexfs_stat(&fs, child, &st) == 0)
            print_long(rec ? child : de.name, &st);
        else
            printf("%s%s\n", rec ? child : de.name, de.type == NEXFS_S_IFDIR ? "/" : "");
        if ((rec || tree) && de.type == NEXFS_S_IFDIR)
            ls(child, lng, rec, depth + 1, tree);
    }
    nexfs_close(&fs, fd);
    return rc < 0 ? err(path, rc) : 0;
}

static int cat(const char *path, FILE *out)
{
    int fd = nexfs_open(&fs, path, NEXFS_O_RDONLY, 0);
    if (fd < 0)
        return err(path, fd);
    static char buf[1 << 16];
    int64_t n;
    while ((n = nexfs_read(&fs, fd, buf, sizeof(buf))) > 0)
        if (fwrite(buf, 1, (size_t)n, out) != (size_t)n) {
            nexfs_close(&fs, fd);
            return herr(path);
        }
    nexfs_close(&fs, fd);
    return n < 0 ? err(path, (int)n) : 0;
}

static int put_file(const char *host, const char *path)
{
    int hfd = open(host, O_RDONLY);
    if (hfd < 0)
        return herr(host);
    int fd = nexfs_open(&fs, path, NEXFS_O_CREAT | NEXFS_O_WRONLY | NEXFS_O_TRUNC, 0644);
    if (fd < 0) {
        close(hfd);
        return err(path, fd);
    }
    static char buf[1 << 16];
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = read(hfd, buf, sizeof(buf))) > 0) {
        int64_t w = nexfs_write(&fs, fd, buf, (uint64_t)n);
        if (w != n)
            rc = err(path, w < 0 ? (int)w : -NEXFS_ENOSPC);
    }
    if (rc == 0 && n < 0)
        rc = herr(host);
    close(hfd);
    nexfs_close(&fs, fd);
    return rc;
}

static int put(const char *host, const char *path, int rec)
{
    struct stat hs;
    if (lstat(host, &hs) < 0)
        return herr(host);
    if (S_ISREG(hs.st_mode))
        return put_file(host, path);
    if (!S_ISDIR(hs.st_mode)) {
        fprintf(stderr, "nexfs put: %s: not a regular file or directory, skipped\n", host);
        status = 1;
        return 0;
    }
    if (!rec) {
        fprintf(stderr, "nexfs put: %s: is a directory (use -r)\n", host);
        status = 1;
        return -1;
    }
    int rc = nexfs_mkdir(&fs, path, hs.st_mode & 07777);
    if (rc < 0 && rc != -NEXFS_EEXIST)
        return err(path, rc);
    DIR *d = opendir(host);
    if (!d)
        return herr(host);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char h[4096], p[NEXFS_PATH_MAX];
        join(h, sizeof(h), host, e->d_name);
        join(p, sizeof(p), path, e->d_name);
        if (put(h, p, rec) < 0 && status) {
            closedir(d);
            return -1;
        }
    }
    closedir(d);
    return 0;
}

static int get(const char *path, const char *host, int rec)
{
    struct nexfs_stat st;
    int rc = nexfs_stat(&fs, path, &st);
    if (rc < 0)
        return err(path, rc);
    if ((st.mode & NEXFS_S_IFMT) != NEXFS_S_IFDIR) {
        FILE *f = fopen(host, "wb");
        if (!f)
            return herr(host);
        rc = cat(path, f);
        if (fclose(f) != 0 && rc == 0)
            return herr(host);
        return rc;
    }
    if (!rec) {
        fprintf(stderr, "nexfs get: %s: is a directory (use -r)\n", path);
        status = 1;
        return -1;
    }
    if (mkdir(host, st.mode & 07777) < 0 && errno != EEXIST)
        return herr(host);
    int fd = nexfs_open(&fs, path, NEXFS_O_RDONLY, 0);
    if (fd < 0)
        return err(path, fd);
    struct nexfs_dirent de;
    while ((rc = nexfs_readdir(&fs, fd, &de)) == 1) {
        char h[4096], p[NEXFS_PATH_MAX];
        join(h, sizeof(h), host, de.name);
        join(p, sizeof(p), path, de.name);
        if (get(p, h, rec) < 0) {
            nexfs_close(&fs, fd);
            return -1;
        }
    }
    nexfs_close(&fs, fd);
    return rc < 0 ? err(path, rc) : 0;
}

static int rm(const char *path, int rec)
{
    struct nexfs_stat st;
    int rc = nexfs_stat(&fs, path, &st);
    if (rc < 0)
        return err(path, rc);
    if ((st.mode & NEXFS_S_IFMT) != NEXFS_S_IFDIR)
        return (rc = nexfs_unlink(&fs, path)) < 0 ? err(path, rc) : 0;
    if (rec) {
        struct nexfs_dirent de;
        for (;;) { /* the first entry each time: removing moves the rest */
            int fd = nexfs_open(&fs, path, NEXFS_O_RDONLY, 0);
            if (fd < 0)
                return err(path, fd);
            rc = nexfs_readdir(&fs, fd, &de);
            nexfs_close(&fs, fd);
            if (rc < 0)
                return err(path, rc);
            if (rc == 0)
                break;
            char p[NEXFS_PATH_MAX];
            join(p, sizeof(p), path, de.name);
            if (rm(p, rec) < 0)
                return -1;
        }
    }
    return (rc = nexfs_rmdir(&fs, path)) < 0 ? err(path, rc) : 0;
}

static int mkdir_p(const char *path, int parents)
{
    if (!parents) {
        int rc = nexfs_mkdir(&fs, path, 0755);
        return rc < 0 ? err(path, rc) : 0;
    }
    char p[NEXFS_PATH_MAX];
    snprintf(p, sizeof(p), "%s", path);
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == 0) {
            char c = *s;
            *s = 0;
            int rc = nexfs_mkdir(&fs, p, 0755);
            if (rc < 0 && rc != -NEXFS_EEXIST)
                return err(p, rc);
            *s = c;
            if (!c)
                return 0;
        }
    }
}

static int stat_cmd(const char *path)
{
    struct nexfs_stat st;
    int rc = nexfs_stat(&fs, path, &st);
    if (rc < 0)
        return err(path, rc);
    printf("%s: inode %u, %s, mode %04o, links %u, size %llu, blocks %llu, mtime %llu.%09llu\n",
           path, st.ino, (st.mode & NEXFS_S_IFMT) == NEXFS_S_IFDIR ? "directory" : "file",
           st.mode & 07777, st.nlink, (unsigned long long)st.size, (unsigned long long)st.blocks,
           (unsigned long long)(st.mtime_ns / 1000000000ull),
           (unsigned long long)(st.mtime_ns % 1000000000ull));
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: nexfs IMG ls [-l] [-r] [PATH] | cat PATH... | put [-r] HOST PATH |\n"
                    "       get [-r] PATH HOST | mkdir [-p] PATH... | rm [-r] PATH... |\n"
                    "       mv FROM TO | stat PATH... | df | tree [PATH]\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    cmd = argv[2];
    int writes =
        !strcmp(cmd, "put") || !strcmp(cmd, "mkdir") || !strcmp(cmd, "rm") || !strcmp(cmd, "mv");
    int rec = 0, lng = 0, par = 0, a = 3;
    for (; a < argc && argv[a][0] == '-' && argv[a][1]; a++) {
        for (const char *f = argv[a] + 1; *f; f++) {
            if (*f == 'r' || *f == 'R')
                rec = 1;
            else if (*f == 'l')
                lng = 1;
            else if (*f == 'p')
                par = 1;
            else
                return usage();
        }
    }
    int nargs = argc - a;
    char **args = argv + a;
    struct nexfs_dev dev;
    if (hostdev_open(&dev, "nexfs", argv[1], writes) < 0)
        return 1;
    size_t msize = (size_t)65536 * 80;
    void *mem = malloc(msize);
    int rc = nexfs_mount(&fs, &dev, mem, msize, writes ? 0 : NEXFS_MOUNT_RDONLY);
    if (rc < 0) {
        fprintf(stderr, "nexfs: %s: cannot mount: %s\n", argv[1], nexfs_strerror(rc));
        free(mem);
        hostdev_close(&dev);
        return 1;
    }
    if (!strcmp(cmd, "ls") && nargs <= 1) {
        ls(nargs ? args[0] : "/", lng, rec, 0, 0);
    } else if (!strcmp(cmd, "tree") && nargs <= 1) {
        printf("%s\n", nargs ? args[0] : "/");
        ls(nargs ? args[0] : "/", 0, 0, 1, 1);
    } else if (!strcmp(cmd, "cat") && nargs >= 1) {
        for (int i = 0; i < nargs; i++)
            cat(args[i], stdout);
    } else if (!strcmp(cmd, "put") && nargs == 2) {
        struct nexfs_stat st;
        char dst[NEXFS_PATH_MAX];
        snprintf(dst, sizeof(dst), "%s", args[1]);
        if (nexfs_stat(&fs, args[1], &st) == 0 && (st.mode & NEXFS_S_IFMT) == NEXFS_S_IFDIR)
            join(dst, sizeof(dst), args[1], base(args[0]));
        put(args[0], dst, rec);
    } else if (!strcmp(cmd, "get") && nargs == 2) {
        struct stat hs;
        char dst[4096];
        snprintf(dst, sizeof(dst), "%s", args[1]);
        if (stat(args[1], &hs) == 0 && S_ISDIR(hs.st_mode))
            join(dst, sizeof(dst), args[1], base(args[0]));
        get(args[0], dst, rec);
    } else if (!strcmp(cmd, "mkdir") && nargs >= 1) {
        for (int i = 0; i < nargs; i++)
            mkdir_p(args[i], par);
    } else if (!strcmp(cmd, "rm") && nargs >= 1) {
        for (int i = 0; i < nargs; i++)
            rm(args[i], rec);
    } else if (!strcmp(cmd, "mv") && nargs == 2) {
        if ((rc = nexfs_rename(&fs, args[0], args[1])) < 0)
            err(args[0], rc);
    } else if (!strcmp(cmd, "stat") && nargs >= 1) {
        for (int i = 0; i < nargs; i++)
            stat_cmd(args[i]);
    } else if (!strcmp(cmd, "df") && nargs == 0) {
        struct nexfs_statfs sf;
        if ((rc = nexfs_statfs(&fs, &sf)) < 0) {
            err("df", rc);
        } else {
            printf("block size %u, blocks %llu, free %llu (%llu KiB), inodes %u, free %u\n",
                   sf.block_size, (unsigned long long)sf.blocks, (unsigned long long)sf.blocks_free,
                   (unsigned long long)(sf.blocks_free * sf.block_size / 1024), sf.inodes,
                   sf.inodes_free);
        }
    } else {
        status = usage();
    }
    rc = nexfs_unmount(&fs);
    if (rc < 0) {
        fprintf(stderr, "nexfs: %s: unmount: %s\n", argv[1], nexfs_strerror(rc));
        status = 1;
    }
    free(mem);
    hostdev_close(&dev);
    return status;
}
