/* The kernel's shell services: commands that report or drive kernel state (the devices, the
 * Valve's settings and its in-kernel benchmark, the network stack), which the shell, a user
 * fiber, runs by name through SYS_SERVICE. Each registers itself with SERVICE_COMMAND (the
 * linker gathers them in section service_cmds); it prints its own output and one-line errors on
 * the console, as the shell would have, and acts as the calling fiber: block requests go to the
 * Valve as its subject (its capabilities decide), and what acts on the network or the machine
 * checks its capabilities first (dispatch_holds). Device plugins register theirs the same way. */
#ifndef SERVICES_SERVICE_H
#define SERVICES_SERVICE_H

struct service_command {
    const char *name;
    const char *usage;                 /* "blk info [dev]" */
    const char *help;                  /* one line */
    int (*run)(int argc, char **argv); /* 0 = success; prints its own one-line errors */
};

#define SERVICE_COMMAND(ident, name_, usage_, help_, fn_)                                          \
    __attribute__((                                                                                \
        used, section("service_cmds"),                                                             \
        aligned(sizeof(void *)))) static const struct service_command service_cmd_##ident = {      \
        name_, usage_, help_, fn_}

/* Ctrl-C pressed since this service started (for long-running ones such as udpecho). */
int service_interrupted(void);

#endif
