/* SPDX-License-Identifier: GPL-2.0 */
/* Local delivery: a packet from one endpoint to another endpoint of this node
 * goes straight into the destination's namespace, as Cilium's
 * ipv4_local_delivery() does, instead of up the node namespace's stack
 * (ip_rcv, route lookup, ip_forward, neighbour output) and back down through
 * the destination's veth.
 *
 * When from_endpoint's egress policy forwards a packet to another endpoint
 * of this node, the same program chain then decides the destination's
 * ingress, as Cilium's tail_call_policy() does: conntrack for the destination
 * endpoint, and for a new connection the policy stages with the destination
 * as the endpoint (bpf_lxc.c, local_ingress()). A packet that passes goes
 * straight into the destination's namespace (bpf_redirect_peer); one that is
 * dropped is dropped and reported exactly as to_endpoint would. to_endpoint
 * stays attached for everything routed (from the node, the host, outside,
 * and what local_destination() leaves to the stack). No MTU check: every lab
 * veth has the same MTU, so a packet that fit the sender's fits the
 * receiver's.
 *
 * ps_lxc (Cilium's lxc map): endpoint IPv4 address -> its host-side veth and
 * the two MACs, written by the agent with the endpoint map. ps_config
 * route_local = 1 turns local delivery off (everything is routed).
 *
 * The agent empties ps_lxc before it changes the lab's veths and fills it
 * again with the new ifindexes after the links are attached, so an entry
 * never names a veth that is gone (a redirect there would drop silently).
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

/* The local endpoint a packet the sender's egress policy forwarded goes to
 * directly, or NULL when the node's stack should route it: not an endpoint
 * of this node, local delivery switched off, or a packet the router would
 * treat itself (a frame not addressed to the node: broadcast, multicast,
 * another host's MAC; IP options: source route, record route, router alert;
 * a TTL that would expire, answered with ICMP time exceeded).
 */
static __always_inline struct lxc_info *local_destination(struct __sk_buff *skb, __u32 daddr)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct lxc_info *dst;
	struct ps_config *cfg;

	if (skb->pkt_type != PACKET_HOST)
		return 0;
	if ((void *)(ip + 1) > data_end || ip->ihl != 5 || ip->ttl <= 1)
		return 0;
	dst = bpf_map_lookup_elem(&ps_lxc, &daddr);
	if (!dst)
		return 0;
	cfg = config_get();
	if (cfg && cfg->route_local)
		return 0;
	return dst;
}

/* What the router would do (TTL - 1, the MACs of the destination's link),
 * then the packet goes into the destination workload's namespace: the
 * ingress of its eth0, the peer of the host-side veth (bpf_redirect_peer).
 * TC_ACT_SHOT when the rewrite failed. The headers are read in place and
 * written with two helper calls (the MACs, then TTL + checksum), so only
 * redirected packets make the skb's head writable (a copy for a cloned TCP
 * segment, as routing's TTL write does).
 */
static __always_inline int deliver_local(struct __sk_buff *skb, const struct lxc_info *dst)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct ipv4_ttl_check l3;
	__u32 check;

	if ((void *)(ip + 1) > data_end)
		return TC_ACT_SHOT;
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
	return bpf_redirect_peer(dst->ifindex, 0);
}

#endif /* PS_LIB_LOCAL_DELIVERY_H */
