// SPDX-License-Identifier: GPL-2.0
/* The endpoint datapath, attached with tcx to each workload's host-side veth
 * in the node namespace (the name follows Cilium's bpf_lxc.c):
 *
 *   to_endpoint    tcx egress of the veth: traffic into the workload (ingress policy)
 *   from_endpoint  tcx ingress of the veth: traffic out of the workload (egress policy)
 *
 * Pipeline per packet: endpoint lookup -> parse -> conntrack (incl. ICMP
 * errors related to a known connection) -> ipcache
 * (remote identity) -> policy -> conntrack create -> flow event.
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

char LICENSE[] SEC("license") = "GPL";

static __always_inline int drop_packet(const struct __sk_buff *skb, __u32 endpoint_id, __u8 dir,
				       const struct ps_tuple *tuple, __u8 reason, __u8 match,
				       __u32 cookie, __u32 remote_identity)
{
	counter_inc(COUNTER_DROPPED);
	switch (reason) {
	case DROP_POLICY:
		counter_inc(COUNTER_DROP_POLICY);
		break;
	case DROP_POLICY_DENY:
		counter_inc(COUNTER_DROP_POLICY_DENY);
		break;
	case DROP_INVALID:
		counter_inc(COUNTER_DROP_INVALID);
		break;
	default:
		counter_inc(COUNTER_DROP_CT_INVALID_HDR);
		break;
	}
	emit_flow(skb, endpoint_id, dir, tuple, VERDICT_DROPPED, reason, match, cookie,
		  remote_identity);
	return TC_ACT_SHOT;
}

static __always_inline int handle_endpoint_packet(struct __sk_buff *skb, __u8 dir)
{
	struct ps_tuple tuple = {};
	struct endpoint_info *ep;
	__u32 endpoint_id, policy_cookie, remote_identity, cookie = 0;
	enum policy_verdict verdict;
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
	policy_cookie = endpoint_policy_cookie(ep, dir);

	ret = parse_ipv4(skb, &tuple);
	if (ret == PARSE_NOT_IPV4) {
		counter_inc(COUNTER_NOT_IPV4);
		return TC_ACT_OK;
	}
	if (ret)
		return drop_packet(skb, endpoint_id, dir, &tuple, ret, MATCH_NONE, 0, 0);

	switch (ct_lookup(endpoint_id, dir, &tuple, &cookie)) {
	case CT_ESTABLISHED:
		match = MATCH_CT_ESTABLISHED;
		goto forward_known;
	case CT_REPLY:
		match = MATCH_CT_REPLY;
		goto forward_known;
	default:
		if (ct_lookup_related(endpoint_id, dir, &tuple, &cookie) == CT_REPLY) {
			match = MATCH_CT_REPLY;
			goto forward_known;
		}
		break;
	}

	remote_identity = ipcache_lookup_identity(dir == DIR_INGRESS ? tuple.saddr : tuple.daddr);

	if (!policy_cookie) {
		/* No policy selects this endpoint in this direction. */
		match = MATCH_DEFAULT_ALLOW;
		cookie = 0;
	} else {
		verdict = policy_lookup(endpoint_id, remote_identity, dir, &tuple, &cookie);
		if (verdict == POLICY_DENY)
			return drop_packet(skb, endpoint_id, dir, &tuple, DROP_POLICY_DENY,
					   MATCH_POLICY, cookie, remote_identity);
		if (verdict == POLICY_NO_MATCH)
			return drop_packet(skb, endpoint_id, dir, &tuple, DROP_POLICY,
					   MATCH_DEFAULT_DENY, policy_cookie, remote_identity);
		match = MATCH_POLICY;
	}

	ct_create(endpoint_id, dir, &tuple, cookie);
	counter_inc(COUNTER_FORWARDED);
	emit_flow(skb, endpoint_id, dir, &tuple, VERDICT_FORWARDED, 0, match, cookie,
		  remote_identity);
	return TC_ACT_OK;

forward_known:
	counter_inc(COUNTER_FORWARDED);
	if (config_trace_all())
		emit_flow(skb, endpoint_id, dir, &tuple, VERDICT_FORWARDED, 0, match, cookie, 0);
	return TC_ACT_OK;
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
