/* The boot platform record (filled once from the DTB, read-only afterwards) and the kernel
 * command line lookup. Never touches hardware, so the host tests link it with fdt.c. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <kernel/boot.h>
#include <kernel/platform.h>

static struct platform boot_platform;

int platform_init(const void *dtb, uint64_t max_size)
{
    return fdt_parse_platform(dtb, max_size, &boot_platform);
}

const struct platform *platform(void)
{
    return &boot_platform;
}

/* Bootargs are space-separated words; a word is `key=value` or a bare `key` (value ""). The
 * last occurrence wins, as on Linux. The value is truncated to fit buf. */
const char *cmdline_get(const char *key, char *buf, unsigned len)
{
    const char *p = boot_platform.bootargs;
    const char *found = NULL;
    size_t found_len = 0, klen;

    if (!key || !buf || len == 0 || (klen = strlen(key)) == 0)
        return NULL;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *word = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        size_t wlen = (size_t)(p - word);
        if (wlen >= klen && memcmp(word, key, klen) == 0) {
            if (wlen == klen) {
                found = word + wlen;
                found_len = 0;
            } else if (word[klen] == '=') {
                found = word + klen + 1;
                found_len = wlen - klen - 1;
            }
        }
    }
    if (!found)
        return NULL;
    if (found_len > len - 1)
        found_len = len - 1;
    memcpy(buf, found, found_len);
    buf[found_len] = '\0';
    return buf;
}
