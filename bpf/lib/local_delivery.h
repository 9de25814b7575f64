/* SPDX-License-Identifier: GPL-2.0 */
/* Local delivery: a packet from one endpoint to another endpoint of this node
 * goes straight to the destination's host-side veth, as Cilium's
 * ipv4_local_delivery() does, instead of up the node namespace's stack
 * (ip_rcv, route lookup, ip_forward, neighbour output) and back down.
 *
 * from_endpoint redirects a packet its egress policy forwarded to the tcx
 * egress of the destination's veth, where to_endpoint applies the
 * destination's ingress policy exactly as for a routed packet. What the
 * router would have done is done here: the TTL is decremented (a packet whose
 * TTL would expire is left to the stack, which answers with ICMP time
 * exceeded), the source MAC becomes the node's side of the destination veth
 * and the destination MAC the workload's.
 *
 * ps_lxc (Cilium's lxc map): endpoint IPv4 address -> its host-side veth and
 * the two MACs, written by the agent with the endpoint map. ps_config
 * route_local = 1 turns local delivery off (everything is routed).
 */
#ifndef PS_LIB_LOCAL_DELIVERY_H
#define PS_LIB_LOCAL_DELIVERY_H

#include "common.h"
#include "config.h"

struct lxc_info {
	__u32 ifindex;		/* host-side veth in the node namespace */
	__u32 endpoint_id;
	__u8  mac[6];		/* the workload's side (eth0): the frame's destination */
	__u8  node_mac[6];	/* the node's side: the frame's source, as the router's */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);	/* IPv4 address, network byte order */
	__type(value, struct lxc_info);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ps_lxc SEC(".maps");

#define IPV4_TTL_OFF	(sizeof(struct ethhdr) + offsetof(struct iphdr, ttl))
#define IPV4_CSUM_OFF	(sizeof(struct ethhdr) + offsetof(struct iphdr, check))

/* The verdict for a packet policy forwarded in direction `dir`: TC_ACT_OK
 * (the stack routes it) or a redirect to the local destination's veth.
 * Writes go through helpers, so only redirected packets make the skb's head
 * writable (a copy for a cloned TCP segment, as routing's TTL write does).
 */
static __always_inline int forward_packet(struct __sk_buff *skb, __u8 dir, __u32 daddr)
{
	struct lxc_info *dst;
	struct ps_config *cfg;
	__u8 ttl, new_ttl;

	if (dir != DIR_EGRESS)
		return TC_ACT_OK;
	dst = bpf_map_lookup_elem(&ps_lxc, &daddr);
	if (!dst)
		return TC_ACT_OK;
	cfg = config_get();
	if (cfg && cfg->route_local)
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, IPV4_TTL_OFF, &ttl, 1) || ttl <= 1)
		return TC_ACT_OK;
	new_ttl = ttl - 1;
	/* TTL is the high byte of the 16-bit word it shares with the protocol. */
	if (bpf_l3_csum_replace(skb, IPV4_CSUM_OFF, bpf_htons((__u16)ttl << 8),
				bpf_htons((__u16)new_ttl << 8), 2) ||
	    bpf_skb_store_bytes(skb, IPV4_TTL_OFF, &new_ttl, 1, 0) ||
	    bpf_skb_store_bytes(skb, 0, dst->mac, 6, 0) ||
	    bpf_skb_store_bytes(skb, 6, dst->node_mac, 6, 0))
		return TC_ACT_SHOT;
	return bpf_redirect(dst->ifindex, 0);
}

#endif /* PS_LIB_LOCAL_DELIVERY_H */
