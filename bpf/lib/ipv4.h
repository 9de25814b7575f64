/* SPDX-License-Identifier: GPL-2.0 */
/* IPv4 + L4 header parsing into a struct ps_tuple, with explicit data_end checks. */
#ifndef PS_LIB_IPV4_H
#define PS_LIB_IPV4_H

#include "common.h"
#include "drop.h"
#include "fragments.h"

/* Returned by parse_ipv4() for frames the datapath leaves alone (ARP, IPv6). */
#define PARSE_NOT_IPV4	1

/* The most parse_ipv4() reads: Ethernet, the longest IPv4 header, and an
 * ICMP header with the IPv4 header and 8 bytes it quotes.
 */
#define PARSE_LINEAR_MAX	(sizeof(struct ethhdr) + 60 + 8 + 20 + 8)

/* Bytes of L4 header parse_ipv4() reads for a protocol (none for a later fragment). */
static __always_inline __u32 l4_header_len(const struct iphdr *ip)
{
	if (ip->frag_off & bpf_htons(IP_FRAG_OFFSET))
		return 0;
	switch (ip->protocol) {
	case IPPROTO_TCP:
		return sizeof(struct tcphdr);
	case IPPROTO_UDP:
		return sizeof(struct udphdr);
	case IPPROTO_ICMP:
		return 8 + 20 + 8;
	default:
		return 0;
	}
}

#define ICMP_DEST_UNREACH	3
#define ICMP_TIME_EXCEEDED	11
#define ICMP_PARAMETERPROB	12

/* Reads the IPv4 header and the first 8 bytes of L4 an ICMP error quotes.
 * A quote we cannot read leaves the error an ordinary ICMP packet.
 */
static __always_inline void parse_icmp_inner(void *quote, void *data_end, struct ps_tuple *tuple)
{
	struct iphdr *inner = quote;
	__u16 *ports;

	if ((void *)(inner + 1) > data_end || inner->ihl != 5)
		return;
	ports = (void *)(inner + 1);
	if ((void *)(ports + 2) > data_end)
		return;
	tuple->inner.saddr = inner->saddr;
	tuple->inner.daddr = inner->daddr;
	tuple->inner.protocol = inner->protocol;
	if (inner->protocol == IPPROTO_TCP || inner->protocol == IPPROTO_UDP) {
		tuple->inner.sport = bpf_ntohs(ports[0]);
		tuple->inner.dport = bpf_ntohs(ports[1]);
	} else if (inner->protocol == IPPROTO_ICMP) {
		/* Quoted echo: id at bytes 4..5, both "ports" as in the tuple. */
		if ((void *)(ports + 3) > data_end)
			return;
		tuple->inner.sport = bpf_ntohs(ports[2]);
		tuple->inner.dport = tuple->inner.sport;
	} else {
		return;
	}
	tuple->has_inner = 1;
}

/* Fills tuple; returns 0, PARSE_NOT_IPV4, or a drop reason: DROP_INVALID
 * for a bad IPv4 header, DROP_CT_INVALID_HDR for a truncated L4 header,
 * DROP_FRAG_NOT_FOUND for a later fragment of a datagram never seen.
 */
static __always_inline int parse_ipv4(struct __sk_buff *skb, struct ps_tuple *tuple)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	__u16 frag_off;
	void *l4;
	__u32 ihl;

	if ((void *)(eth + 1) > data_end)
		return PARSE_NOT_IPV4;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return PARSE_NOT_IPV4;

	/* Headers may sit in paged data (GSO); pull what we read into the
	 * linear area, and only when some of it really is paged: the helper
	 * copies the head of a cloned skb (every TCP segment a socket sent) to
	 * make it writable. So the need is the actual headers' length when the
	 * IPv4 header is linear (it nearly always is), the most we read when
	 * not. Pulling invalidates packet pointers: reload them.
	 */
	{
		__u32 linear = (__u32)(data_end - data);
		__u32 need = PARSE_LINEAR_MAX;
		struct iphdr *iph = data + sizeof(struct ethhdr);

		if ((void *)(iph + 1) <= data_end)
			need = sizeof(struct ethhdr) + iph->ihl * 4 + l4_header_len(iph);
		if (need > linear && skb->len > linear) {
			__u32 want = skb->len < PARSE_LINEAR_MAX ? skb->len : PARSE_LINEAR_MAX;

			bpf_skb_pull_data(skb, want);
			data = (void *)(long)skb->data;
			data_end = (void *)(long)skb->data_end;
		}
	}

	ip = data + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > data_end)
		return DROP_INVALID;
	if (ip->version != 4)
		return DROP_INVALID;
	ihl = ip->ihl * 4;
	if (ihl < sizeof(*ip))
		return DROP_INVALID;

	tuple->saddr = ip->saddr;
	tuple->daddr = ip->daddr;
	tuple->protocol = ip->protocol;

	/* A later fragment has no L4 header: its ports are the first
	 * fragment's (fragments.h). Protocols without ports need none.
	 */
	frag_off = bpf_ntohs(ip->frag_off);
	if (frag_off & IP_FRAG_OFFSET) {
		if (tuple->protocol == IPPROTO_TCP || tuple->protocol == IPPROTO_UDP ||
		    tuple->protocol == IPPROTO_ICMP)
			return frag_ports_of(ip, tuple);
		return 0;
	}

	l4 = (void *)ip + ihl;
	switch (tuple->protocol) {
	case IPPROTO_TCP: {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > data_end)
			return DROP_CT_INVALID_HDR;
		tuple->sport = bpf_ntohs(th->source);
		tuple->dport = bpf_ntohs(th->dest);
		/* Byte 13 of the TCP header: CWR ECE URG ACK PSH RST SYN FIN. */
		tuple->tcp_flags = ((__u8 *)th)[13];
		break;
	}
	case IPPROTO_UDP: {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > data_end)
			return DROP_CT_INVALID_HDR;
		tuple->sport = bpf_ntohs(uh->source);
		tuple->dport = bpf_ntohs(uh->dest);
		break;
	}
	case IPPROTO_ICMP: {
		struct icmphdr *ih = l4;

		if ((void *)(ih + 1) > data_end)
			return DROP_CT_INVALID_HDR;
		tuple->icmp_type = ih->type;
		/* Echo request (8) and reply (0) share one conntrack entry:
		 * the echo id stands in for both ports.
		 */
		if (ih->type == 8 || ih->type == 0) {
			tuple->sport = bpf_ntohs(ih->un.echo.id);
			tuple->dport = tuple->sport;
		} else if (ih->type == ICMP_DEST_UNREACH || ih->type == ICMP_TIME_EXCEEDED ||
			   ih->type == ICMP_PARAMETERPROB) {
			parse_icmp_inner(ih + 1, data_end, tuple);
		}
		break;
	}
	default:
		/* Other protocols are matched by protocol-only rules. */
		return 0;
	}
	if (frag_off & IP_FLAG_MF)
		frag_register(ip, tuple);
	return 0;
}

#endif /* PS_LIB_IPV4_H */
