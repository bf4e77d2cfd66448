/* Argument parsing shared by NipBox commands: one way to read a number a user typed.
 * Never prints: the command knows what the number was for and says so. */
#include <errno.h>
#include <stdlib.h>

#include <nipbox.h>

int nipbox_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    char *end;

    if (!s || *s == '\0' || *s == '-' || *s == '+')
        return -EINVAL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end != '\0' || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}
