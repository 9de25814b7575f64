/* SPDX-License-Identifier: GPL-2.0 */
/* IPv4 fragment tracking, as Cilium's ipv4_frag_datagrams map does.
 *
 * Only the first fragment of a datagram carries the L4 header. Without help,
 * the later ones would meet policy with ports 0 and a large UDP datagram to
 * an allowed port would lose its tail to a default deny. The first fragment
 * (MF set, offset 0) records its ports under the datagram's identity
 * (addresses, IP id, protocol); later fragments take the ports from there and
 * then meet conntrack and policy like the first. A later fragment whose first
 * was never seen (reordered, or sent alone to probe the policy) is dropped
 * with DROP_FRAG_NOT_FOUND, as in Cilium: a datapath that cannot name a
 * packet's ports must not let it through on an L4 rule.
 *
 * Between veths on one node fragments arrive in order; the LRU forgets a
 * datagram once newer ones need the room.
 */
#ifndef PS_LIB_FRAGMENTS_H
#define PS_LIB_FRAGMENTS_H

#include "common.h"
#include "drop.h"

/* The two fragment bits of iphdr.frag_off (host order). */
#define IP_FLAG_MF	0x2000
#define IP_FRAG_OFFSET	0x1fff

struct frag_key {
	__u32 saddr;
	__u32 daddr;
	__u16 id;	/* IP identification, network order as on the wire */
	__u8  protocol;
	__u8  pad;
};

struct frag_ports {
	__u16 sport;	/* host order, as in struct ps_tuple */
	__u16 dport;
	__u8  icmp_type;
	__u8  pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct frag_key);
	__type(value, struct frag_ports);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ps_frag SEC(".maps");

static __always_inline void frag_key_of(const struct iphdr *ip, struct frag_key *key)
{
	key->saddr = ip->saddr;
	key->daddr = ip->daddr;
	key->id = ip->id;
	key->protocol = ip->protocol;
	key->pad = 0;
}

/* First fragment: remember the ports its followers will need. */
static __always_inline void frag_register(const struct iphdr *ip, const struct ps_tuple *tuple)
{
	struct frag_ports ports = {
		.sport = tuple->sport,
		.dport = tuple->dport,
		.icmp_type = tuple->icmp_type,
	};
	struct frag_key key;

	frag_key_of(ip, &key);
	bpf_map_update_elem(&ps_frag, &key, &ports, BPF_ANY);
}

/* A later fragment: its datagram's ports, or DROP_FRAG_NOT_FOUND. */
static __always_inline int frag_ports_of(const struct iphdr *ip, struct ps_tuple *tuple)
{
	struct frag_ports *ports;
	struct frag_key key;

	frag_key_of(ip, &key);
	ports = bpf_map_lookup_elem(&ps_frag, &key);
	if (!ports)
		return DROP_FRAG_NOT_FOUND;
	tuple->sport = ports->sport;
	tuple->dport = ports->dport;
	tuple->icmp_type = ports->icmp_type;
	return 0;
}

#endif /* PS_LIB_FRAGMENTS_H */
