/* SPDX-License-Identifier: GPL-2.0 */
/* Local endpoints: the workloads whose host-side veth carries our programs. */
#ifndef PS_LIB_ENDPOINT_H
#define PS_LIB_ENDPOINT_H

#include "common.h"

/* Key: ifindex of the host-side veth in the node namespace (skb->ifindex at
 * both tcx hooks of that device).
 *
 * Value: the endpoint id that keys its policy and conntrack entries, its own
 * identity, and per direction the cookie of the policy that selected it
 * there. A zero cookie means no policy selects the endpoint in that
 * direction: default-allow. Non-zero: default-deny, and the cookie names the
 * policy in drop events so a default deny can be explained.
 */
struct endpoint_info {
	__u32 endpoint_id;
	__u32 identity;
	__u32 ingress_policy_cookie;
	__u32 egress_policy_cookie;
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

static __always_inline __u32 endpoint_policy_cookie(const struct endpoint_info *ep, __u8 dir)
{
	return dir == DIR_INGRESS ? ep->ingress_policy_cookie : ep->egress_policy_cookie;
}

#endif /* PS_LIB_ENDPOINT_H */
