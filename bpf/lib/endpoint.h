/* SPDX-License-Identifier: GPL-2.0 */
/* Local endpoints: the workloads whose host-side veth carries our programs. */
#ifndef PS_LIB_ENDPOINT_H
#define PS_LIB_ENDPOINT_H

#include "common.h"

/* Key: ifindex of the host-side veth in the node namespace (skb->ifindex at
 * both tcx hooks of that device).
 *
 * Value: the endpoint id that keys its policy and conntrack entries and its
 * own identity. Whether a policy selects the endpoint (default-deny) is not
 * here but in the policy map (policy.h, the enforcement entry), so it
 * changes atomically with the rules.
 */
struct endpoint_info {
	__u32 endpoint_id;
	__u32 identity;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct endpoint_info);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ps_endpoints SEC(".maps");

static __always_inline struct endpoint_info *endpoint_lookup(__u32 ifindex)
{
	return bpf_map_lookup_elem(&ps_endpoints, &ifindex);
}

#endif /* PS_LIB_ENDPOINT_H */
