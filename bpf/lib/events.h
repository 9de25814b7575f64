/* SPDX-License-Identifier: GPL-2.0 */
/* Flow events to user space (ring buffer) and per-CPU counters. */
#ifndef PS_LIB_EVENTS_H
#define PS_LIB_EVENTS_H

#include "common.h"

#define VERDICT_FORWARDED	1
#define VERDICT_DROPPED		2

/* How the verdict was reached (RawMatch on the TypeScript side). */
#define MATCH_NONE		0
#define MATCH_POLICY		1
#define MATCH_DEFAULT_ALLOW	2
#define MATCH_DEFAULT_DENY	3
#define MATCH_CT_ESTABLISHED	4
#define MATCH_CT_REPLY		5

/* One flow event, 48 bytes, no implicit padding. Addresses in network byte
 * order, ports in host byte order. cookie: the rule's, or for a default
 * deny the cookie of the policy that put the endpoint into default-deny.
 */
struct flow_event {
	__u64 ktime_ns;
	__u32 endpoint_id;
	__u32 ifindex;
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u32 remote_identity;
	__u32 cookie;
	__u32 length;
	__u8  verdict;
	__u8  drop_reason;
	__u8  direction;
	__u8  match;
	__u8  protocol;
	__u8  tcp_flags;
	__u8  icmp_type;
	__u8  pad;
};

/* A ring-buffer record type is otherwise absent from the object's BTF; this
 * anchor keeps it there so user space can check its layout (layouts.ts).
 */
struct flow_event *flow_event_btf_anchor __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ps_events SEC(".maps");

/* Indexes of ps_counters (mirrored in src/agent/datapath/layouts.ts). Drops
 * are counted per reason in ps_drops as well.
 */
enum counter_index {
	COUNTER_PACKETS = 0,
	COUNTER_FORWARDED,
	COUNTER_DROPPED,
	COUNTER_RINGBUF_FULL,
	COUNTER_NOT_ENDPOINT,
	COUNTER_NOT_IPV4,
	COUNTER_CT_CREATED,
	COUNTER_CT_FULL,
	COUNTER_MAX,
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ps_counters SEC(".maps");

/* ps_drops[reason]: packets dropped per drop reason (drop.h), per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ps_drops SEC(".maps");

static __always_inline void counter_inc(__u32 index)
{
	__u64 *value = bpf_map_lookup_elem(&ps_counters, &index);

	if (value)
		*value += 1;
}

static __always_inline void drop_count(__u8 reason)
{
	__u32 index = reason;
	__u64 *value = bpf_map_lookup_elem(&ps_drops, &index);

	counter_inc(COUNTER_DROPPED);
	if (value)
		*value += 1;
}

static __always_inline void
emit_flow(const struct __sk_buff *skb, __u32 endpoint_id, __u8 dir, const struct ps_tuple *tuple,
	  __u8 verdict, __u8 drop_reason, __u8 match, __u32 cookie, __u32 remote_identity)
{
	struct flow_event *ev = bpf_ringbuf_reserve(&ps_events, sizeof(*ev), 0);

	/* A full ring buffer must never be silent: the agent reports the count. */
	if (!ev) {
		counter_inc(COUNTER_RINGBUF_FULL);
		return;
	}
	ev->ktime_ns = bpf_ktime_get_ns();
	ev->endpoint_id = endpoint_id;
	ev->ifindex = skb->ifindex;
	ev->saddr = tuple->saddr;
	ev->daddr = tuple->daddr;
	ev->sport = tuple->sport;
	ev->dport = tuple->dport;
	ev->remote_identity = remote_identity;
	ev->cookie = cookie;
	ev->length = skb->len;
	ev->verdict = verdict;
	ev->drop_reason = drop_reason;
	ev->direction = dir;
	ev->match = match;
	ev->protocol = tuple->protocol;
	ev->tcp_flags = tuple->tcp_flags;
	ev->icmp_type = tuple->icmp_type;
	ev->pad = 0;
	bpf_ringbuf_submit(ev, 0);
}

#endif /* PS_LIB_EVENTS_H */
