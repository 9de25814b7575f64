/* SPDX-License-Identifier: GPL-2.0 */
/* The ipcache: which security identity an IPv4 address belongs to.
 *
 * Two copies (slots 0 and 1), switched together with the policy map by
 * ps_active (policy.h): the agent writes the inactive slot, flips the slot,
 * then brings the other copy up to date. A packet reads one slot for its
 * identity and its policy, so it never mixes an old identity with a new rule.
 */
#ifndef PS_LIB_IPCACHE_H
#define PS_LIB_IPCACHE_H

#include "common.h"

/* LPM trie key: prefixlen counts the bits of addr (network byte order) that
 * must match; longest prefix wins, as for Cilium's CIDR identities.
 */
struct ipcache_key {
	__u32 prefixlen;
	__u32 addr;
};

/* Value: the identity (Cilium numbering: 1 host, 2 world, >= 256 workloads). */
struct ipcache_entry {
	__u32 identity;
	__u32 flags; /* reserved */
};

#define PS_IPCACHE_MAP(name)						\
	struct {							\
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);			\
		__uint(map_flags, BPF_F_NO_PREALLOC);			\
		__uint(max_entries, 65536);				\
		__type(key, struct ipcache_key);			\
		__type(value, struct ipcache_entry);			\
		__uint(pinning, LIBBPF_PIN_BY_NAME);			\
	} name SEC(".maps")

PS_IPCACHE_MAP(ps_ipcache0);
PS_IPCACHE_MAP(ps_ipcache1);

static __always_inline __u32 ipcache_lookup_identity(__u32 slot, __u32 addr)
{
	struct ipcache_key key = { .prefixlen = 32, .addr = addr };
	struct ipcache_entry *entry;

	/* Two calls, not a map pointer chosen at run time: each verifies on its own. */
	if (slot)
		entry = bpf_map_lookup_elem(&ps_ipcache1, &key);
	else
		entry = bpf_map_lookup_elem(&ps_ipcache0, &key);
	return entry ? entry->identity : IDENTITY_WORLD;
}

#endif /* PS_LIB_IPCACHE_H */
