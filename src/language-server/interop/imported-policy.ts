/**
 * What import builds from a manifest before writing policy text: the IR's
 * peers, ports and HTTP rules, with every selector term explicit (the writer
 * adds nothing but the surface syntax).
 */
import type { HttpRuleIR, Peer, PortRule, RuleAction, SelectorTerm } from '../../protocol/policy-ir.js';

export interface ImportedRule {
  action: RuleAction;
  /** Empty: any peer. A selector peer with no terms: every pod of the policy's namespace. */
  peers: Peer[];
  /** Empty: any port. */
  ports: PortRule[];
  http?: HttpRuleIR[];
}

export interface ImportedPolicy {
  /** `NetworkPolicy` or `CiliumNetworkPolicy`, for the comment above the policy. */
  kind: string;
  name: string;
  namespace: string;
  /** Terms of `select`; empty selects every pod of the namespace. */
  select: SelectorTerm[];
  /** A direction present (even with no rules) puts the selected workloads in default deny there. */
  ingress?: ImportedRule[];
  egress?: ImportedRule[];
  /** 1-based line of the manifest document. */
  line: number;
}
