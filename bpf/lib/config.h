/* SPDX-License-Identifier: GPL-2.0 */
/* Runtime configuration the agent changes without reloading the program. */
#ifndef PS_LIB_CONFIG_H
#define PS_LIB_CONFIG_H

#include "common.h"

/* ps_config[0].
 *   trace_all  1 emits an event for every packet, 0 only for new connections
 *              and drops (Cilium's "medium" monitor aggregation).
 *   ct_*_s     conntrack lifetimes in seconds; 0 means Cilium's default
 *              (TCP established 21600, non-TCP 60, SYN 60, close 10). Tests
 *              shorten them to watch entries expire.
 *   route_local 1 hands packets between this node's endpoints to the node's
 *              routing; 0 (default) delivers them directly (local_delivery.h).
 */
struct ps_config {
	__u32 trace_all;
	__u32 ct_tcp_s;
	__u32 ct_nontcp_s;
	__u32 ct_syn_s;
	__u32 ct_close_s;
	__u32 route_local;
	__u32 reserved[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ps_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ps_config SEC(".maps");

static __always_inline struct ps_config *config_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ps_config, &zero);
}

static __always_inline bool config_trace_all(void)
{
	struct ps_config *cfg = config_get();

	return cfg && cfg->trace_all;
}

#endif /* PS_LIB_CONFIG_H */
