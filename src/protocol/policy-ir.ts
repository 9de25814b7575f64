/**
 * The policy IR: the only thing the agent receives from the language side.
 *
 * Versioned JSON. Every rule carries a stable id and its source location so a
 * dropped packet in the kernel can be traced back to the line that decided it.
 * Selectors are already normalised (`==` is `in [v]`, `!=` is `notin [v]`) so
 * the agent needs no knowledge of the surface syntax.
 */

export const POLICY_IR_VERSION = 1;

/** LSP-style position: zero-based line and character. */
export interface Position { line: number; character: number }
export interface Range { start: Position; end: Position }

/** Where something was written: a document URI (file:///…) and a range in it. */
export interface SourceLocation { uri: string; range: Range }

export type Labels = Record<string, string>;

export type SelectorOperator = 'in' | 'notin' | 'exists' | 'notexists';

/**
 * One term of a label selector; a selector's terms are ANDed. `key` may carry
 * Cilium's source (`k8s:app`, `any:app` name the label `app`; selector-match.ts).
 */
export interface SelectorTerm { key: string; operator: SelectorOperator; values: string[] }

/** A label selector; no terms selects every workload. */
export interface LabelSelector { terms: SelectorTerm[] }

/**
 * Cilium's reserved entities (identities 1 host, 2 world; `cluster` and `all`
 * are sets). The lab's node is `host`, and so in `cluster` and `all`.
 */
export type Entity = 'host' | 'world' | 'cluster' | 'all';

export type Peer =
  | { kind: 'selector'; selector: LabelSelector }
  | { kind: 'entity'; entity: Entity }
  | { kind: 'cidr'; cidr: string; except: string[] };

export type Protocol = 'tcp' | 'udp' | 'icmp' | 'any';

/** A port or a port range (inclusive); no `port` means any port of `protocol`. */
export interface PortRule { protocol: Protocol; port?: number; endPort?: number; icmpType?: number }

/** An L7 HTTP rule (enforced by a proxy in a later milestone; exported to CNP now). */
export interface HttpRuleIR { method?: string; /** Extended POSIX regex, as Cilium's `path`. */ path?: string; headers?: string[] }

export type Direction = 'ingress' | 'egress';
export type RuleAction = 'allow' | 'deny';

export interface RuleIR {
  /** Stable id: `<namespace>/<policy>/<direction>/<index>`. */
  id: string;
  /** 32-bit non-zero value stored in the BPF policy map (FNV-1a of `id`). */
  cookie: number;
  action: RuleAction;
  direction: Direction;
  /** Empty: any peer. Several peers are ORed. */
  peers: Peer[];
  /** Empty: any port and protocol. Several ports are ORed. */
  ports: PortRule[];
  /** L7 rules; present only on allow rules with TCP ports. */
  http?: HttpRuleIR[];
  /** The rule's text as written, for hovers, flow rows and explanations. */
  text: string;
  source: SourceLocation;
}

export interface WorkloadIR {
  name: string;
  namespace: string;
  labels: Labels;
  replicas: number;
  /** A fixed IPv4 address for the (single) replica, when written. */
  address?: string;
  source: SourceLocation;
}

export interface NamespaceIR { name: string; labels: Labels; source?: SourceLocation }

/** A service: a virtual IP and port load-balanced to the workloads its selector matches (datapath in a later milestone). */
export interface ServiceIR {
  name: string;
  namespace: string;
  vip: string;
  port: number;
  protocol: Exclude<Protocol, 'any' | 'icmp'>;
  selector: LabelSelector;
  targetPort: number;
  source: SourceLocation;
}

export interface PolicyIR {
  /** Stable id: `<namespace>/<name>`. */
  id: string;
  /** Cookie reported by the datapath for a default deny this policy caused. */
  cookie: number;
  name: string;
  namespace: string;
  selector: LabelSelector;
  /** A direction the policy has a block for (even empty) puts its endpoints in default-deny there. */
  ingress?: RuleIR[];
  egress?: RuleIR[];
  source: SourceLocation;
  /** Location of the `select` line: where a default deny is explained. */
  selectSource: SourceLocation;
}

export interface ExpectIR {
  id: string;
  from: string;
  /** A workload name, `service:<name>` for a service, or `cidr:<a.b.c.d/n>` for an address outside the lab. */
  to: string;
  port?: number;
  protocol: Protocol;
  /** ICMP message type of an `icmp type …` expect (any echo otherwise). */
  icmpType?: number;
  verdict: 'allowed' | 'denied';
  text: string;
  source: SourceLocation;
}

export interface PolicyBundle {
  version: typeof POLICY_IR_VERSION;
  workloads: WorkloadIR[];
  policies: PolicyIR[];
  expects: ExpectIR[];
  /** Optional in version 1: bundles from before namespaces and services had none. */
  namespaces?: NamespaceIR[];
  services?: ServiceIR[];
}

/** 32-bit FNV-1a, never 0 (0 means "no rule" in the datapath). */
export function cookieOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h === 0 ? 1 : h;
}
