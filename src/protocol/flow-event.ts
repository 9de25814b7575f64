/**
 * A flow event as the agent reports it: one per new connection and one per
 * drop (Cilium's "medium" monitor aggregation), decoded from the BPF ring
 * buffer and enriched with workload names and the rule that decided it.
 */
import type { Direction, SourceLocation } from './policy-ir';

export type Verdict = 'forwarded' | 'dropped';

/** How the datapath reached its verdict. */
export type FlowMatch = 'policy' | 'default-allow' | 'default-deny' | 'ct-established' | 'ct-reply' | 'none';

export interface FlowEndpoint {
  ip: string;
  port: number;
  identity: number;
  /** Workload name (`<namespace>/<name>` or the entity: host, world), when known. */
  workload?: string;
}

export interface FlowEvent {
  /** Milliseconds since the epoch. */
  time: number;
  verdict: Verdict;
  /** Cilium drop reason code (133 policy denied, 181 deny rule, …); 0 when forwarded. */
  dropReason: number;
  dropReasonText?: string;
  /** Direction relative to the endpoint that enforced it. */
  direction: Direction;
  /** The endpoint (workload instance) whose policy was evaluated. */
  endpoint?: string;
  protocol: 'tcp' | 'udp' | 'icmp' | string;
  src: FlowEndpoint;
  dst: FlowEndpoint;
  match: FlowMatch;
  /** Cookie from the policy map (a rule), or of the policy that caused a default deny. */
  cookie: number;
  /** Rule id, when the cookie is a rule's. */
  ruleId?: string;
  /** Policy id, when the cookie is a policy's (default deny). */
  policyId?: string;
  /** Source of the deciding rule, or the `select` line of the policy that caused a default deny. */
  source?: SourceLocation;
  /** The rule's (or select line's) text. */
  ruleText?: string;
  /** TCP flags as text (SYN, ACK, …) when known. */
  tcpFlags?: string;
  /** Packet length in bytes. */
  length?: number;
  /**
   * Index of the interface the packet was seen on, in the node namespace (a
   * host-side veth). Delivered directly between endpoints, both decisions are
   * made where the packet enters from the sender's veth, so both name it.
   */
  ifindex?: number;
}
