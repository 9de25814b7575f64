/* SPDX-License-Identifier: GPL-2.0 */
/* L3/L4 policy: may this endpoint talk to that identity on that port? */
#ifndef PS_LIB_POLICY_H
#define PS_LIB_POLICY_H

#include "common.h"

/* LPM trie key, after Cilium's struct policy_key (bpf/lib/policy.h) with the
 * endpoint id in front so one map holds every local endpoint's policy.
 *
 *   prefixlen    bits of the fields below that must match
 *   endpoint_id  local endpoint (always matched: part of the static prefix)
 *   identity     remote identity; 0 is the wildcard ("any peer") and is a
 *                separate lookup, because a trie prefix cannot skip a field;
 *                IDENTITY_ENFORCEMENT marks the enforcement entry (below)
 *   direction    DIR_INGRESS / DIR_EGRESS (always matched)
 *   protocol     IPPROTO_*; a prefix ending before it matches any protocol
 *   dport        network byte order; the first N bits of a port range as a
 *                prefix, so a range is a handful of entries
 *
 * prefixlen is POLICY_STATIC_PREFIX (any protocol), + 8 (a protocol, any
 * port), + 8 + N (a protocol and a port prefix of N bits). For ICMP the
 * "port" is the ICMP type.
 *
 * The enforcement entry {endpoint, IDENTITY_ENFORCEMENT, direction}/static
 * says a policy selects the endpoint in that direction (default-deny there);
 * its cookie is that policy's, reported for a default deny. No entry:
 * default-allow. Keeping it in this map makes "who enforces" switch together
 * with the rules.
 */
struct policy_key {
	__u32 prefixlen;
	__u32 endpoint_id;
	__u32 identity;
	__u8  direction;
	__u8  protocol;
	__be16 dport;
};

#define POLICY_STATIC_PREFIX	(8 * (sizeof(__u32) + sizeof(__u32) + sizeof(__u8)))
#define POLICY_FULL_PREFIX	(POLICY_STATIC_PREFIX + 8 + 16)
#define IDENTITY_ENFORCEMENT	0xffffffff

/* Value: the verdict and the cookie of the rule that wrote it.
 *
 * Deny wins: user space writes a deny into every allow key a broader deny
 * covers (so the longest prefix within one identity is never a wrong allow),
 * and policy_lookup() lets a deny from either the exact or the wildcard
 * identity lookup win over an allow from the other.
 */
struct policy_entry {
	__u32 cookie;
	__u8  deny;
	__u8  pad[3];
};

#define PS_POLICY_MAP(name)						\
	struct {							\
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);			\
		__uint(map_flags, BPF_F_NO_PREALLOC);			\
		__uint(max_entries, 262144);				\
		__type(key, struct policy_key);				\
		__type(value, struct policy_entry);			\
		__uint(pinning, LIBBPF_PIN_BY_NAME);			\
	} name SEC(".maps")

/* Two generations of the policy (with ps_ipcache0/1). The agent writes the
 * inactive one, then flips ps_active: a policy change is visible all at once,
 * so no packet sees half an update (no window where something both the old
 * and the new policy allow is dropped, or something both deny passes).
 */
PS_POLICY_MAP(ps_policy0);
PS_POLICY_MAP(ps_policy1);

/* ps_active[0]: which slot packets use, and a generation counter the agent
 * bumps at every flip (for dumps and diagnosis).
 */
struct policy_active {
	__u32 slot;
	__u32 generation;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct policy_active);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ps_active SEC(".maps");

static __always_inline __u32 policy_active_slot(void)
{
	__u32 zero = 0;
	struct policy_active *a = bpf_map_lookup_elem(&ps_active, &zero);

	return a && a->slot ? 1 : 0;
}

static __always_inline struct policy_entry *policy_map_lookup(__u32 slot, struct policy_key *key)
{
	if (slot)
		return bpf_map_lookup_elem(&ps_policy1, key);
	return bpf_map_lookup_elem(&ps_policy0, key);
}

enum policy_verdict {
	POLICY_NO_MATCH = 0,
	POLICY_ALLOW,
	POLICY_DENY,
};

/* The cookie of the policy that selects the endpoint in this direction; 0: none. */
static __always_inline __u32 policy_enforcement(__u32 slot, __u32 endpoint_id, __u8 dir)
{
	struct policy_key key = {
		.prefixlen = POLICY_FULL_PREFIX,
		.endpoint_id = endpoint_id,
		.identity = IDENTITY_ENFORCEMENT,
		.direction = dir,
	};
	struct policy_entry *e = policy_map_lookup(slot, &key);

	return e ? e->cookie : 0;
}

static __always_inline enum policy_verdict
policy_lookup(__u32 slot, __u32 endpoint_id, __u32 identity, __u8 dir, const struct ps_tuple *tuple,
	      __u32 *cookie)
{
	struct policy_entry *exact = NULL, *wildcard;
	struct policy_key key = {
		.prefixlen = POLICY_FULL_PREFIX,
		.endpoint_id = endpoint_id,
		.identity = identity,
		.direction = dir,
		.protocol = tuple->protocol,
	};

	if (tuple->protocol == IPPROTO_ICMP)
		key.dport = bpf_htons(tuple->icmp_type);
	else
		key.dport = bpf_htons(tuple->dport);

	if (identity != IDENTITY_ENFORCEMENT)
		exact = policy_map_lookup(slot, &key);
	key.identity = 0;
	wildcard = policy_map_lookup(slot, &key);

	if (exact && exact->deny) {
		*cookie = exact->cookie;
		return POLICY_DENY;
	}
	if (wildcard && wildcard->deny) {
		*cookie = wildcard->cookie;
		return POLICY_DENY;
	}
	if (exact) {
		*cookie = exact->cookie;
		return POLICY_ALLOW;
	}
	if (wildcard) {
		*cookie = wildcard->cookie;
		return POLICY_ALLOW;
	}
	return POLICY_NO_MATCH;
}

#endif /* PS_LIB_POLICY_H */
