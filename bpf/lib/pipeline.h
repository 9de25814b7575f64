/* SPDX-License-Identifier: GPL-2.0 */
/* The pipeline's stages and what one stage hands to the next.
 *
 * As in Cilium, the per-packet work is split into programs joined by tail
 * calls through a program array, so each stays well under the verifier's
 * limits and can grow on its own:
 *
 *   to_endpoint / from_endpoint   endpoint, parse, conntrack (known flows end here)
 *   -> CALL_POLICY   tail_policy  ipcache, enforcement, L3/L4 policy
 *   -> CALL_VERDICT  tail_verdict conntrack create, counters, flow event
 *
 * ps_calls is not pinned by name: every loaded object gets its own, filled
 * by libbpf at load time, so programs of an old and a new object never call
 * into each other while links are swapped. The loader pins it per object
 * (<pin dir>/calls/) so it keeps its entries while no agent runs.
 *
 * State crosses a tail call in a per-CPU scratch slot: a tc program runs to
 * completion on one CPU, and a tail call does not return.
 */
#ifndef PS_LIB_PIPELINE_H
#define PS_LIB_PIPELINE_H

#include "common.h"

#define CALL_POLICY	0
#define CALL_VERDICT	1
#define CALL_MAX	2

struct ps_scratch {
	struct ps_tuple tuple;
	__u32 endpoint_id;
	__u32 remote_identity;
	__u32 cookie;
	__u8  dir;
	__u8  verdict;	   /* VERDICT_* */
	__u8  drop_reason;
	__u8  match;	   /* MATCH_* */
	__u8  local;	   /* the ingress leg of a local delivery (local_delivery.h) */
	__u8  pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ps_scratch);
} ps_scratch SEC(".maps");

static __always_inline struct ps_scratch *scratch_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ps_scratch, &zero);
}

#endif /* PS_LIB_PIPELINE_H */
