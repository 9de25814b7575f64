/* SPDX-License-Identifier: GPL-2.0 */
/* Connection tracking: packets of a connection policy already allowed, and
 * their replies, pass without another policy decision.
 *
 * TCP follows a small state machine (after Cilium's conntrack.h):
 *
 *   SYN_SENT     created by a SYN; lives ct_syn_s (60 s)
 *   ESTABLISHED  a packet without SYN was seen; lives ct_tcp_s (6 h),
 *                refreshed by every packet
 *   CLOSING      a FIN was seen in one direction; still refreshed
 *   CLOSED       FIN seen both ways, or an RST: lives ct_close_s (10 s) so
 *                the last ACKs pass, and is not refreshed
 *
 * A SYN (without ACK) that hits a CLOSING or CLOSED entry starts a new
 * connection on a reused tuple: the entry is dropped and policy decides
 * again. UDP, ICMP and protocol-only flows are ESTABLISHED for ct_nontcp_s
 * (60 s) from their last packet. An expired entry is treated as absent (and
 * removed) here; the agent also sweeps expired entries (ps-loader gc-expired
 * on expires_ns) so the LRU is not left to evict live ones.
 *
 * A connection that a policy change no longer allows keeps its entry and
 * passes until it closes or expires, as in Cilium; new connections are
 * decided by the new policy.
 */
#ifndef PS_LIB_CONNTRACK_H
#define PS_LIB_CONNTRACK_H

#include "common.h"
#include "config.h"

#define TCP_FLAG_FIN	0x01
#define TCP_FLAG_SYN	0x02
#define TCP_FLAG_RST	0x04
#define TCP_FLAG_ACK	0x10

#define CT_STATE_SYN_SENT	1
#define CT_STATE_ESTABLISHED	2
#define CT_STATE_CLOSING	3
#define CT_STATE_CLOSED		4

#define CT_DEFAULT_TCP_S	21600
#define CT_DEFAULT_NONTCP_S	60
#define CT_DEFAULT_SYN_S	60
#define CT_DEFAULT_CLOSE_S	10
#define NSEC_PER_SEC		1000000000ULL

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

/* Value: when it was created, last seen and expires (CLOCK_MONOTONIC ns),
 * the cookie of the rule that allowed it (0 for default-allow), a packet
 * count, the TCP flags seen each way and the TCP state (CT_STATE_*).
 */
struct ct_entry {
	__u64 created_ns;
	__u64 last_seen_ns;
	__u64 expires_ns;
	__u32 cookie;
	__u32 packets;
	__u8  tcp_flags_orig;
	__u8  tcp_flags_reply;
	__u8  state;
	__u8  pad[5];
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

static __always_inline __u64 ct_lifetime_ns(__u8 state, __u8 protocol)
{
	struct ps_config *cfg = config_get();
	__u32 s;

	if (protocol != IPPROTO_TCP)
		s = cfg && cfg->ct_nontcp_s ? cfg->ct_nontcp_s : CT_DEFAULT_NONTCP_S;
	else if (state == CT_STATE_SYN_SENT)
		s = cfg && cfg->ct_syn_s ? cfg->ct_syn_s : CT_DEFAULT_SYN_S;
	else if (state == CT_STATE_CLOSED)
		s = cfg && cfg->ct_close_s ? cfg->ct_close_s : CT_DEFAULT_CLOSE_S;
	else
		s = cfg && cfg->ct_tcp_s ? cfg->ct_tcp_s : CT_DEFAULT_TCP_S;
	return (__u64)s * NSEC_PER_SEC;
}

/* Advances the TCP state for a packet seen in the original (reply = 0) or
 * reply direction and refreshes the expiry. Returns false when the packet
 * starts a new connection on this tuple (the caller forgets the entry).
 */
static __always_inline bool ct_update(struct ct_entry *entry, const struct ps_tuple *tuple, bool reply,
				      __u64 now)
{
	__u8 flags = tuple->tcp_flags, state = entry->state;

	if (tuple->protocol == IPPROTO_TCP) {
		if ((flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN && !reply &&
		    state >= CT_STATE_CLOSING)
			return false;
		if (reply)
			entry->tcp_flags_reply |= flags;
		else
			entry->tcp_flags_orig |= flags;
		if (flags & TCP_FLAG_RST) {
			state = CT_STATE_CLOSED;
		} else if (flags & TCP_FLAG_FIN) {
			if ((entry->tcp_flags_orig & TCP_FLAG_FIN) && (entry->tcp_flags_reply & TCP_FLAG_FIN))
				state = CT_STATE_CLOSED;
			else if (state < CT_STATE_CLOSING)
				state = CT_STATE_CLOSING;
		} else if (state == CT_STATE_SYN_SENT && !(flags & TCP_FLAG_SYN)) {
			state = CT_STATE_ESTABLISHED;
		}
	}
	entry->last_seen_ns = now;
	entry->packets++;
	/* A closed connection's clock runs out; everything else is refreshed. */
	if (state != CT_STATE_CLOSED || entry->state != CT_STATE_CLOSED)
		entry->expires_ns = now + ct_lifetime_ns(state, tuple->protocol);
	entry->state = state;
	return true;
}

/* Conntrack's clock: CLOCK_MONOTONIC at tick resolution (the agent's sweeper
 * reads the same clock). Lifetimes are seconds, so a tick is plenty, and the
 * coarse clock costs a fraction of bpf_ktime_get_ns(), which was over a third
 * of an established packet's time in the program (bench:datapath:program).
 */
static __always_inline __u64 ct_now(void)
{
	return bpf_ktime_get_coarse_ns();
}

static __always_inline bool ct_expired(const struct ct_entry *entry, __u64 now)
{
	return entry->expires_ns && now > entry->expires_ns;
}

/* The conntrack key of a packet's tuple as this endpoint sees it in this direction. */
static __always_inline struct ct_key
ct_key_of(__u32 endpoint_id, __u8 dir, const struct ps_tuple *tuple)
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
	return key;
}

/* Looks the tuple up as an original-direction packet, then as a reply of a
 * connection this endpoint saw in the opposite direction.
 */
static __always_inline enum ct_status
ct_lookup(__u32 endpoint_id, __u8 dir, const struct ps_tuple *tuple, __u32 *cookie)
{
	struct ct_entry *entry;
	struct ct_key key = ct_key_of(endpoint_id, dir, tuple);
	/* One clock read per packet, shared by the expiry check and the refresh. */
	__u64 now = ct_now();

	entry = bpf_map_lookup_elem(&ps_ct, &key);
	if (entry) {
		if (ct_expired(entry, now) || !ct_update(entry, tuple, false, now)) {
			bpf_map_delete_elem(&ps_ct, &key);
			return CT_NEW;
		}
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
		if (ct_expired(entry, now)) {
			bpf_map_delete_elem(&ps_ct, &key);
			return CT_NEW;
		}
		ct_update(entry, tuple, true, now);
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
	__u64 now = ct_now();

	entry = bpf_map_lookup_elem(&ps_ct, &key);
	if (!entry || ct_expired(entry, now))
		return CT_NEW;
	entry->last_seen_ns = now;
	*cookie = entry->cookie;
	return CT_REPLY;
}

/* Returns false when the table refused the entry (the packet still passes:
 * policy allowed it; its reply will be decided by policy).
 */
static __always_inline bool
ct_create(__u32 endpoint_id, __u8 dir, const struct ps_tuple *tuple, __u32 cookie)
{
	struct ct_key key = ct_key_of(endpoint_id, dir, tuple);
	struct ct_entry entry = {
		.cookie = cookie,
		.packets = 1,
		.tcp_flags_orig = tuple->tcp_flags,
		.state = CT_STATE_ESTABLISHED,
	};

	if (tuple->protocol == IPPROTO_TCP) {
		if (tuple->tcp_flags & TCP_FLAG_RST)
			entry.state = CT_STATE_CLOSED;
		else if (tuple->tcp_flags & TCP_FLAG_SYN)
			entry.state = CT_STATE_SYN_SENT;
		/* else: picked up mid-stream (e.g. after the table lost it). */
	}
	entry.created_ns = ct_now();
	entry.last_seen_ns = entry.created_ns;
	entry.expires_ns = entry.created_ns + ct_lifetime_ns(entry.state, tuple->protocol);
	return bpf_map_update_elem(&ps_ct, &key, &entry, BPF_ANY) == 0;
}

#endif /* PS_LIB_CONNTRACK_H */
