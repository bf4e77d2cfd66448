/* ARP cache: resolution with retry for outgoing packets, replies for our addresses, expiry.
 * Lives in the stack's poll context; nothing here is called from interrupts. */
#ifndef NET_ARP_H
#define NET_ARP_H

#include <stdbool.h>
#include <stdint.h>

#include "net/netif.h"

#define ARP_CACHE_SIZE     16
#define ARP_PENDING_MAX    8 /* frames waiting for a resolution, stack-wide */
#define ARP_RETRIES        3
#define ARP_RETRY_NS       (500ull * 1000000ull)
#define ARP_DEFAULT_TTL_NS (120ull * 1000000000ull)

struct arp_info {
    char netif[8];
    uint32_t ip;
    uint8_t mac[NET_MAC_LEN];
    bool resolved;
    uint64_t age_ns; /* since it was resolved or last refreshed */
};

/* Copies up to max entries (resolved and in progress); returns how many. */
unsigned arp_list(struct arp_info *out, unsigned max);
/* 0 and the MAC when ip is resolved and fresh on nif, else -ENOENT. */
int arp_lookup(const struct netif *nif, uint32_t ip, uint8_t *mac);
/* Starts a resolution (sends a request) unless one is running or the entry is fresh. */
int arp_resolve(struct netif *nif, uint32_t ip);
/* How long an entry stays valid after it was learnt (tests shorten it). */
void arp_set_ttl(uint64_t ttl_ns);
void arp_flush(void);

#endif
