// SPDX-License-Identifier: GPL-2.0
/* The endpoint datapath, attached with tcx to each workload's host-side veth
 * in the node namespace (the name follows Cilium's bpf_lxc.c):
 *
 *   to_endpoint    tcx egress of the veth: traffic into the workload (ingress policy)
 *   from_endpoint  tcx ingress of the veth: traffic out of the workload (egress policy)
 *
 * Stages (lib/pipeline.h), joined by tail calls:
 *   1. to_/from_endpoint: endpoint lookup -> parse -> conntrack (incl. ICMP
 *      errors related to a known connection). Known flows are forwarded here.
 *   2. tail_policy: active policy slot -> ipcache (remote identity) ->
 *      enforcement -> L3/L4 policy.
 *   3. tail_verdict: conntrack create, counters, flow event, verdict.
 * A packet from_endpoint forwards to another endpoint of this node meets
 * that endpoint's ingress decision in the same chain and is then delivered
 * into its namespace (lib/local_delivery.h); everything else goes to the
 * stack, and to_endpoint decides ingress on the destination's veth.
 * A missing stage drops with DROP_MISSED_TAIL_CALL (never fails open).
 */
#include "lib/common.h"
#include "lib/drop.h"
#include "lib/config.h"
#include "lib/ipv4.h"
#include "lib/endpoint.h"
#include "lib/ipcache.h"
#include "lib/policy.h"
#include "lib/conntrack.h"
#include "lib/events.h"
#include "lib/pipeline.h"
#include "lib/local_delivery.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline int drop_packet(const struct __sk_buff *skb, __u32 endpoint_id, __u8 dir,
				       const struct ps_tuple *tuple, __u8 reason, __u8 match,
				       __u32 cookie, __u32 remote_identity)
{
	drop_count(reason);
	emit_flow(skb, endpoint_id, dir, tuple, VERDICT_DROPPED, reason, match, cookie,
		  remote_identity);
	return TC_ACT_SHOT;
}

static __always_inline bool l4_trackable(__u8 protocol)
{
	return protocol == IPPROTO_TCP || protocol == IPPROTO_UDP || protocol == IPPROTO_ICMP;
}

/* The stage program array (pipeline.h), defined at the end of this file
 * where the stage programs it is initialised with are known.
 */
extern int tail_policy(struct __sk_buff *skb);
extern int tail_verdict(struct __sk_buff *skb);
struct ps_calls_map {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, CALL_MAX);
	/* A size, not a BTF type: the kernel takes no BTF key for a program
	 * array, and libbpf would retry the map without BTF after an error
	 * line that every verifier log would then start with.
	 */
	__uint(key_size, sizeof(__u32));
	__array(values, int (struct __sk_buff *));
};
extern struct ps_calls_map ps_calls;

static __always_inline int missed_tail_call(struct __sk_buff *skb, const struct ps_scratch *s)
{
	return drop_packet(skb, s->endpoint_id, s->dir, &s->tuple, DROP_MISSED_TAIL_CALL,
			   MATCH_NONE, 0, s->remote_identity);
}

/* A packet of a connection the endpoint already has in this direction, or an
 * ICMP error about one: true, with how it matched and the connection's cookie.
 */
static __always_inline bool ct_known(__u32 endpoint_id, __u8 dir, const struct ps_tuple *tuple,
				     __u32 *cookie, __u8 *match)
{
	switch (ct_lookup(endpoint_id, dir, tuple, cookie)) {
	case CT_ESTABLISHED:
		*match = MATCH_CT_ESTABLISHED;
		return true;
	case CT_REPLY:
		*match = MATCH_CT_REPLY;
		return true;
	default:
		break;
	}
	if (ct_lookup_related(endpoint_id, dir, tuple, cookie) == CT_REPLY) {
		*match = MATCH_CT_REPLY;
		return true;
	}
	return false;
}

/* A packet without a conntrack entry goes to the policy stages, with its
 * tuple, endpoint and direction in the scratch slot (`local`: the
 * destination's ingress leg of a local delivery).
 */
static __always_inline int decide_by_policy(struct __sk_buff *skb, const struct ps_tuple *tuple,
					    __u32 endpoint_id, __u8 dir, __u8 local)
{
	struct ps_scratch *s = scratch_get();

	if (!s)
		return TC_ACT_SHOT;
	__builtin_memset(s, 0, sizeof(*s));
	s->tuple = *tuple;
	s->endpoint_id = endpoint_id;
	s->dir = dir;
	s->local = local;
	bpf_tail_call(skb, &ps_calls, CALL_POLICY);
	return missed_tail_call(skb, s);
}

/* A forwarded packet at an endpoint in a direction: the counter and, when
 * `report`, its flow event.
 */
static __always_inline void count_forwarded(const struct __sk_buff *skb, __u32 endpoint_id, __u8 dir,
					    const struct ps_tuple *tuple, __u8 match, __u32 cookie,
					    __u32 remote_identity, bool report)
{
	counter_inc(COUNTER_FORWARDED);
	if (report)
		emit_flow(skb, endpoint_id, dir, tuple, VERDICT_FORWARDED, 0, match, cookie,
			  remote_identity);
}

/* The ingress leg's end: the packet into the destination's namespace, its
 * flow event (when `report`) and the forwarded counter; a failed rewrite is
 * dropped instead (141).
 */
static __always_inline int deliver(struct __sk_buff *skb, const struct lxc_info *dst,
				   const struct ps_tuple *tuple, __u8 match, __u32 cookie,
				   __u32 remote_identity, bool report)
{
	int ret = deliver_local(skb, dst);

	if (ret == TC_ACT_SHOT)
		return drop_packet(skb, dst->endpoint_id, DIR_INGRESS, tuple, DROP_WRITE_ERROR,
				   MATCH_NONE, 0, remote_identity);
	count_forwarded(skb, dst->endpoint_id, DIR_INGRESS, tuple, match, cookie, remote_identity,
			report);
	return ret;
}

/* The destination's ingress decision for a packet going to a local endpoint,
 * as to_endpoint makes it on a routed one: conntrack of the destination, and
 * for a new connection the policy stages with the destination as endpoint
 * (scratch.local marks the leg for tail_verdict).
 */
static __always_inline int local_ingress(struct __sk_buff *skb, const struct ps_tuple *tuple,
					 const struct lxc_info *dst)
{
	__u32 cookie = 0;
	__u8 match;

	/* Counted as a packet at the destination, as to_endpoint would: the
	 * counters stay per endpoint and direction whichever way it went.
	 */
	counter_inc(COUNTER_PACKETS);
	if (!ct_known(dst->endpoint_id, DIR_INGRESS, tuple, &cookie, &match))
		return decide_by_policy(skb, tuple, dst->endpoint_id, DIR_INGRESS, 1);
	return deliver(skb, dst, tuple, match, cookie, 0, config_trace_all());
}

/* A packet policy forwarded in direction `dir`: its flow event (when
 * `report`) and the forwarded counter, then its way on: the destination's
 * ingress decision right here when it is a local endpoint the sender's
 * egress let through (local_delivery.h), else the stack.
 */
static __always_inline int forward(struct __sk_buff *skb, __u32 endpoint_id, __u8 dir,
				   const struct ps_tuple *tuple, __u8 match, __u32 cookie,
				   __u32 remote_identity, bool report)
{
	struct lxc_info *dst;

	count_forwarded(skb, endpoint_id, dir, tuple, match, cookie, remote_identity, report);
	if (dir != DIR_EGRESS)
		return TC_ACT_OK;
	dst = local_destination(skb, tuple->daddr);
	if (!dst)
		return TC_ACT_OK;
	return local_ingress(skb, tuple, dst);
}

/* Stage 1. A known flow ends here without the scratch slot: the tuple lives
 * on the stack and is copied to scratch only for a policy decision.
 */
static __always_inline int handle_endpoint_packet(struct __sk_buff *skb, __u8 dir)
{
	struct ps_tuple tuple = {};
	struct endpoint_info *ep;
	__u32 endpoint_id, cookie = 0;
	__u8 match;
	int ret;

	counter_inc(COUNTER_PACKETS);
	ep = endpoint_lookup(skb->ifindex);
	if (!ep) {
		/* Attached but not (yet) an endpoint: do not get in the way. */
		counter_inc(COUNTER_NOT_ENDPOINT);
		return TC_ACT_OK;
	}
	endpoint_id = ep->endpoint_id;

	ret = parse_ipv4(skb, &tuple);
	if (ret == PARSE_NOT_IPV4) {
		counter_inc(COUNTER_NOT_IPV4);
		return TC_ACT_OK;
	}
	if (ret)
		return drop_packet(skb, endpoint_id, dir, &tuple, ret, MATCH_NONE, 0, 0);

	if (!ct_known(endpoint_id, dir, &tuple, &cookie, &match))
		return decide_by_policy(skb, &tuple, endpoint_id, dir, 0);
	return forward(skb, endpoint_id, dir, &tuple, match, cookie, 0, config_trace_all());
}

SEC("tc")
int to_endpoint(struct __sk_buff *skb)
{
	return handle_endpoint_packet(skb, DIR_INGRESS);
}

SEC("tc")
int from_endpoint(struct __sk_buff *skb)
{
	return handle_endpoint_packet(skb, DIR_EGRESS);
}

/* Stage 2: one policy slot for the whole decision (identity and rules). */
SEC("tc")
int tail_policy(struct __sk_buff *skb)
{
	struct ps_scratch *s = scratch_get();
	__u32 slot, enforced_by, cookie = 0;
	enum policy_verdict verdict;

	if (!s)
		return TC_ACT_SHOT;
	slot = policy_active_slot();
	s->remote_identity = ipcache_lookup_identity(slot, s->dir == DIR_INGRESS ? s->tuple.saddr
										 : s->tuple.daddr);
	enforced_by = policy_enforcement(slot, s->endpoint_id, s->dir);

	s->verdict = VERDICT_FORWARDED;
	if (!enforced_by) {
		/* No policy selects this endpoint in this direction. */
		s->match = MATCH_DEFAULT_ALLOW;
	} else if (!l4_trackable(s->tuple.protocol)) {
		/* Under policy, a flow we cannot track (no replies, no
		 * closing) is not let through, as in Cilium.
		 */
		s->verdict = VERDICT_DROPPED;
		s->drop_reason = DROP_CT_UNKNOWN_PROTO;
		s->match = MATCH_NONE;
		s->cookie = enforced_by;
	} else {
		verdict = policy_lookup(slot, s->endpoint_id, s->remote_identity, s->dir, &s->tuple,
					&cookie);
		if (verdict == POLICY_DENY) {
			s->verdict = VERDICT_DROPPED;
			s->drop_reason = DROP_POLICY_DENY;
			s->match = MATCH_POLICY;
			s->cookie = cookie;
		} else if (verdict == POLICY_NO_MATCH) {
			s->verdict = VERDICT_DROPPED;
			s->drop_reason = DROP_POLICY;
			s->match = MATCH_DEFAULT_DENY;
			s->cookie = enforced_by;
		} else {
			s->match = MATCH_POLICY;
			s->cookie = cookie;
		}
	}
	bpf_tail_call(skb, &ps_calls, CALL_VERDICT);
	return missed_tail_call(skb, s);
}

/* Stage 3. */
SEC("tc")
int tail_verdict(struct __sk_buff *skb)
{
	struct ps_scratch *s = scratch_get();
	struct ps_tuple tuple;
	struct lxc_info *dst;

	if (!s)
		return TC_ACT_SHOT;
	if (s->verdict == VERDICT_DROPPED)
		return drop_packet(skb, s->endpoint_id, s->dir, &s->tuple, s->drop_reason, s->match,
				   s->cookie, s->remote_identity);
	if (l4_trackable(s->tuple.protocol)) {
		if (ct_create(s->endpoint_id, s->dir, &s->tuple, s->cookie))
			counter_inc(COUNTER_CT_CREATED);
		else
			counter_inc(COUNTER_CT_FULL);
	}
	/* On the stack: the destination's ingress leg reuses the scratch slot. */
	tuple = s->tuple;
	if (s->local) {
		dst = local_destination(skb, tuple.daddr);
		if (dst)
			return deliver(skb, dst, &tuple, s->match, s->cookie, s->remote_identity, true);
		/* Switched to routed meanwhile: to_endpoint decides again on the way. */
	}
	return forward(skb, s->endpoint_id, s->dir, &tuple, s->match, s->cookie,
		       s->remote_identity, true);
}

/* The stages, filled in by libbpf when the object is loaded. */
struct ps_calls_map ps_calls SEC(".maps") = {
	.values = {
		[CALL_POLICY] = (void *)&tail_policy,
		[CALL_VERDICT] = (void *)&tail_verdict,
	},
};
