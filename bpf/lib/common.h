/* SPDX-License-Identifier: GPL-2.0 */
/* Constants and the parsed-packet tuple shared by every header module. */
#ifndef PS_LIB_COMMON_H
#define PS_LIB_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define TC_ACT_OK	0
#define TC_ACT_SHOT	2
#define ETH_P_IP	0x0800
#define PACKET_HOST	0	/* skb->pkt_type: addressed to this host (uapi if_packet.h) */

/* Direction relative to the endpoint: ingress is traffic into the workload
 * (to-endpoint program), egress is traffic out of it (from-endpoint). The
 * numbers are part of the policy and conntrack keys.
 */
#define DIR_INGRESS	0
#define DIR_EGRESS	1

/* Cilium's reserved identity used when the ipcache knows no prefix. */
#define IDENTITY_WORLD	2

/* The packet as the pipeline sees it. Addresses in network byte order,
 * ports in host byte order. For ICMP echo the echo id is both ports so a
 * request and its reply share one conntrack entry; icmp_type is the "port"
 * that ICMP policy matches on.
 */
struct ps_tuple {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8  protocol;
	__u8  tcp_flags;
	__u8  icmp_type;
	__u8  has_inner; /* an ICMP error quoting the packet in `inner` */
	/* The packet an ICMP error (unreachable, time exceeded, parameter
	 * problem) quotes: it relates the error to that packet's connection.
	 */
	struct {
		__u32 saddr;
		__u32 daddr;
		__u16 sport;
		__u16 dport;
		__u8  protocol;
		__u8  pad[3];
	} inner;
};

#endif /* PS_LIB_COMMON_H */
