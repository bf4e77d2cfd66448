/* The plugins' ION commands and capability kinds, as tools/gen_ion.py binds them from the
 * manifests (<ion_gen/ion_plugins.c>, compiled into the kernel image): the dispatch looks a code
 * up here when no channel of its own serves it, and `run -c NAME` asks each kind's lookup. */
#ifndef DISPATCH_ION_PLUGIN_H
#define DISPATCH_ION_PLUGIN_H

#include <stdint.h>

#include <virtio/os.h>

struct ion_plugin_cmd {
    uint16_t code;     /* 0 ends the table */
    uint8_t rights;    /* ION_RIGHT_* the capability must hold */
    uint32_t cap_kind; /* the plugin's capability kind (ION_CAP_<KIND>) */
    int64_t (*handler)(const struct os_ion_call *call);
};

struct ion_plugin_cap {
    const char *kind; /* "rng"; NULL ends the table */
    uint32_t cap_kind;
    int (*lookup)(const char *name); /* the object "rng0" names, or -ENODEV */
};

extern const struct ion_plugin_cmd ion_plugin_cmds[];
extern const struct ion_plugin_cap ion_plugin_caps[];

#endif
