/* SPDX-License-Identifier: GPL-2.0 */
/* Connection tracking: packets of a connection policy already allowed, and
 * their replies, pass without another policy decision.
 */
#ifndef PS_LIB_CONNTRACK_H
#define PS_LIB_CONNTRACK_H

#include "common.h"

/* Key: the tuple as first seen, per endpoint and direction (a connection
 * between two local endpoints has one entry at each end). Addresses in
 * network byte order, ports in host byte order.
 */
struct ct_key {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8  protocol;
	__u8  direction;
	__u16 pad;
	__u32 endpoint_id;
};

/* Value: when it was created and last seen, the cookie of the rule that
 * allowed it (0 for default-allow), a packet count and the TCP flags seen.
 */
struct ct_entry {
	__u64 created_ns;
	__u64 last_seen_ns;
	__u32 cookie;
	__u32 packets;
	__u8  tcp_flags_seen;
	__u8  pad[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ct_key);
	__type(value, struct ct_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ps_ct SEC(".maps");

enum ct_status {
	CT_NEW = 0,
	CT_ESTABLISHED,
	CT_REPLY,
};

static __always_inline void ct_touch(struct ct_entry *entry, const struct ps_tuple *tuple)
{
	entry->last_seen_ns = bpf_ktime_get_ns();
	entry->packets++;
	entry->tcp_flags_seen |= tuple->tcp_flags;
}

/* Looks the tuple up as an original-direction packet, then as a reply of a
 * connection this endpoint saw in the opposite direction.
 */
static __always_inline enum ct_status
ct_lookup(__u32 endpoint_id, __u8 dir, const struct ps_tuple *tuple, __u32 *cookie)
{
	struct ct_entry *entry;
	struct ct_key key = {
		.saddr = tuple->saddr,
		.daddr = tuple->daddr,
		.sport = tuple->sport,
		.dport = tuple->dport,
		.protocol = tuple->protocol,
		.direction = dir,
		.endpoint_id = endpoint_id,
	};

	entry = bpf_map_lookup_elem(&ps_ct, &key);
	if (entry) {
		ct_touch(entry, tuple);
		*cookie = entry->cookie;
		return CT_ESTABLISHED;
	}

	key.saddr = tuple->daddr;
	key.daddr = tuple->saddr;
	key.sport = tuple->dport;
	key.dport = tuple->sport;
	key.direction = dir ^ 1;
	entry = bpf_map_lookup_elem(&ps_ct, &key);
	if (entry) {
		ct_touch(entry, tuple);
		*cookie = entry->cookie;
		return CT_REPLY;
	}
	return CT_NEW;
}

/* An ICMP error about a packet of a connection this endpoint has: the quoted
 * packet went the other way, so it is that connection's original tuple in
 * the opposite direction. Related errors pass like replies.
 */
static __always_inline enum ct_status
ct_lookup_related(__u32 endpoint_id, __u8 dir, const struct ps_tuple *tuple, __u32 *cookie)
{
	struct ct_entry *entry;
	struct ct_key key = {
		.saddr = tuple->inner.saddr,
		.daddr = tuple->inner.daddr,
		.sport = tuple->inner.sport,
		.dport = tuple->inner.dport,
		.protocol = tuple->inner.protocol,
		.direction = dir ^ 1,
		.endpoint_id = endpoint_id,
	};

	if (!tuple->has_inner)
		return CT_NEW;
	entry = bpf_map_lookup_elem(&ps_ct, &key);
	if (!entry)
		return CT_NEW;
	entry->last_seen_ns = bpf_ktime_get_ns();
	*cookie = entry->cookie;
	return CT_REPLY;
}

static __always_inline void
ct_create(__u32 endpoint_id, __u8 dir, const struct ps_tuple *tuple, __u32 cookie)
{
	struct ct_key key = {
		.saddr = tuple->saddr,
		.daddr = tuple->daddr,
		.sport = tuple->sport,
		.dport = tuple->dport,
		.protocol = tuple->protocol,
		.direction = dir,
		.endpoint_id = endpoint_id,
	};
	struct ct_entry entry = {
		.cookie = cookie,
		.packets = 1,
		.tcp_flags_seen = tuple->tcp_flags,
	};

	entry.created_ns = bpf_ktime_get_ns();
	entry.last_seen_ns = entry.created_ns;
	bpf_map_update_elem(&ps_ct, &key, &entry, BPF_ANY);
}

#endif /* PS_LIB_CONNTRACK_H */
