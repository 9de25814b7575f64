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
 * and the destination MAC the workload's. No MTU check: every lab veth has
 * the same MTU, so a packet that fit the sender's fits the receiver's.
 *
 * The agent empties ps_lxc before it changes the lab's veths and fills it
 * again with the new ifindexes after the links are attached, so an entry
 * never names a veth that is gone (a redirect there would drop silently).
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
	/* Adjacent, as the frame's destination and source are. */
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

/* TTL, protocol and header checksum: the 4 bytes of the IPv4 header one
 * write replaces.
 */
struct ipv4_ttl_check {
	__u8  ttl;
	__u8  protocol;
	__u16 check;
};

#define IPV4_TTL_OFF	(sizeof(struct ethhdr) + offsetof(struct iphdr, ttl))

/* The verdict for a packet policy forwarded in direction `dir`: TC_ACT_OK
 * (the stack routes it), a redirect to the local destination's veth, or
 * TC_ACT_SHOT when the rewrite failed. The headers are read in place and
 * written with two helper calls (the MACs, then TTL + checksum), so only
 * redirected packets make the skb's head writable (a copy for a cloned TCP
 * segment, as routing's TTL write does).
 */
static __always_inline int forward_packet(struct __sk_buff *skb, __u8 dir, __u32 daddr)
{
	struct ipv4_ttl_check l3;
	struct lxc_info *dst;
	struct ps_config *cfg;
	struct iphdr *ip;
	void *data, *data_end;
	__u32 check;

	if (dir != DIR_EGRESS)
		return TC_ACT_OK;
	dst = bpf_map_lookup_elem(&ps_lxc, &daddr);
	if (!dst)
		return TC_ACT_OK;
	cfg = config_get();
	if (cfg && cfg->route_local)
		return TC_ACT_OK;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	ip = data + sizeof(struct ethhdr);
	/* Left to the stack, as the router would treat them: frames not
	 * addressed to the node (broadcast, multicast, another host's MAC),
	 * headers with options (source route, record route, router alert) and
	 * a TTL that would expire.
	 */
	if (skb->pkt_type != PACKET_HOST)
		return TC_ACT_OK;
	if ((void *)(ip + 1) > data_end || ip->ihl != 5 || ip->ttl <= 1)
		return TC_ACT_OK;
	/* TTL - 1 as ip_decrease_ttl() does it: the checksum word holding the
	 * TTL drops by 0x0100, so the checksum rises by it (end-around carry).
	 */
	check = (__u32)ip->check + (__u32)bpf_htons(0x0100);
	l3.ttl = ip->ttl - 1;
	l3.protocol = ip->protocol;
	l3.check = (__u16)(check + (check >= 0xffff));
	/* mac and node_mac are adjacent in lxc_info, as destination and source are in the frame. */
	if (bpf_skb_store_bytes(skb, 0, dst->mac, 12, 0) ||
	    bpf_skb_store_bytes(skb, IPV4_TTL_OFF, &l3, sizeof(l3), 0))
		return TC_ACT_SHOT;
	return bpf_redirect(dst->ifindex, 0);
}

#endif /* PS_LIB_LOCAL_DELIVERY_H */
