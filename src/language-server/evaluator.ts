/**
 * The static evaluator: what would happen to a packet from one workload to
 * another, and which line decides it. Plain TypeScript over a PolicyBundle
 * (no Langium), with the same decision table the datapath implements:
 *
 *  - egress of the source endpoint is checked first, then ingress of the
 *    destination; the packet passes only if both pass;
 *  - in a direction an endpoint is default-allow until a policy selecting it
 *    has a block for that direction, then default-deny there;
 *  - a matching deny rule wins over any matching allow rule;
 *  - a workload belongs to the entities `cluster` and `all`, never `host` or
 *    `world`; CIDR peers never match workloads (as in Cilium, CIDR rules are
 *    for peers outside the cluster).
 */
import type { Direction, PolicyBundle, PolicyIR, PortRule, Protocol, RuleIR, SourceLocation, WorkloadIR, Peer } from '../protocol/policy-ir.js';
import { DEFAULT_NAMESPACE } from './policy-namespaces.js';
import { selectorMatches } from './selector-match.js';

export type TraceProtocol = Exclude<Protocol, 'any'>;

export type Decision =
  | { kind: 'rule'; ruleId: string; policyId: string; action: 'allow' | 'deny'; direction: Direction; text: string; source: SourceLocation }
  | { kind: 'default-deny'; policyId: string; direction: Direction; text: string; source: SourceLocation }
  | { kind: 'default-allow' };

export interface TraceResult {
  verdict: 'allowed' | 'denied';
  decidedBy: Decision;
  /** The reasoning, one sentence per step, for CLI output and hovers. */
  steps: string[];
}

export class UnknownWorkloadError extends Error {}

/** Finds a workload by `name` or `namespace/name`. */
export function findWorkload(bundle: PolicyBundle, ref: string): WorkloadIR | undefined {
  const slash = ref.indexOf('/');
  const namespace = slash >= 0 ? ref.slice(0, slash) : undefined;
  const name = slash >= 0 ? ref.slice(slash + 1) : ref;
  const candidates = bundle.workloads.filter((w) => w.name === name && (namespace === undefined || w.namespace === namespace));
  return candidates.find((w) => w.namespace === (namespace ?? DEFAULT_NAMESPACE)) ?? candidates[0];
}

export function trace(bundle: PolicyBundle, from: string, to: string, port: number | undefined, protocol: TraceProtocol): TraceResult {
  const src = findWorkload(bundle, from);
  const dst = findWorkload(bundle, to);
  if (!src) throw new UnknownWorkloadError(`unknown workload '${from}'`);
  if (!dst) throw new UnknownWorkloadError(`unknown workload '${to}'`);
  const steps: string[] = [];
  const packet = protocol === 'icmp' ? 'icmp' : `${port ?? 0}/${protocol}`;
  steps.push(`packet ${src.name} -> ${dst.name} ${packet}`);

  const egress = decide(bundle, 'egress', src, dst, port, protocol, steps);
  if (egress.kind === 'default-deny' || (egress.kind === 'rule' && egress.action === 'deny')) {
    return { verdict: 'denied', decidedBy: egress, steps };
  }
  const ingress = decide(bundle, 'ingress', dst, src, port, protocol, steps);
  if (ingress.kind === 'default-deny' || (ingress.kind === 'rule' && ingress.action === 'deny')) {
    return { verdict: 'denied', decidedBy: ingress, steps };
  }
  // Allowed: the most specific explanation is the ingress rule, then the egress rule.
  return { verdict: 'allowed', decidedBy: ingress.kind === 'rule' ? ingress : egress, steps };
}

/** One direction at one endpoint; `remote` is the peer the rules are matched against. */
function decide(
  bundle: PolicyBundle, direction: Direction, endpoint: WorkloadIR, remote: WorkloadIR,
  port: number | undefined, protocol: TraceProtocol, steps: string[],
): Decision {
  const enforcing = bundle.policies.filter((p) => p[direction] !== undefined && selectorMatches(p.selector, endpoint.labels));
  if (enforcing.length === 0) {
    steps.push(`${direction} of ${endpoint.name}: no policy selects it for ${direction}, default allow`);
    return { kind: 'default-allow' };
  }
  steps.push(`${direction} of ${endpoint.name}: selected by ${enforcing.map((p) => p.id).join(', ')}, default deny`);
  let firstAllow: Decision | undefined;
  for (const policy of enforcing) {
    for (const rule of policy[direction] ?? []) {
      if (!ruleMatches(rule, remote, port, protocol)) continue;
      const decision = ruleDecision(policy, rule);
      if (rule.action === 'deny') {
        steps.push(`${direction} of ${endpoint.name}: deny rule ${rule.id} matches (\`${rule.text}\`), deny wins`);
        return decision;
      }
      if (!firstAllow) {
        steps.push(`${direction} of ${endpoint.name}: allow rule ${rule.id} matches (\`${rule.text}\`)`);
        firstAllow = decision;
      }
    }
  }
  if (firstAllow) return firstAllow;
  const cause = enforcing[0]!;
  steps.push(`${direction} of ${endpoint.name}: no rule matches, default deny by ${cause.id}`);
  return { kind: 'default-deny', policyId: cause.id, direction, text: selectText(cause), source: cause.selectSource };
}

function ruleDecision(policy: PolicyIR, rule: RuleIR): Decision {
  return { kind: 'rule', ruleId: rule.id, policyId: policy.id, action: rule.action, direction: rule.direction, text: rule.text, source: rule.source };
}

function selectText(policy: PolicyIR): string {
  return `policy ${policy.name}: select …`;
}

export function ruleMatches(rule: RuleIR, remote: WorkloadIR, port: number | undefined, protocol: TraceProtocol): boolean {
  const peerOk = rule.peers.length === 0 || rule.peers.some((peer) => peerMatches(peer, remote));
  const portOk = rule.ports.length === 0 || rule.ports.some((p) => portMatches(p, port, protocol));
  return peerOk && portOk;
}

export function peerMatches(peer: Peer, remote: WorkloadIR): boolean {
  switch (peer.kind) {
    case 'selector': return selectorMatches(peer.selector, remote.labels);
    case 'entity': return peer.entity === 'cluster' || peer.entity === 'all';
    case 'cidr': return false;
  }
}

export function portMatches(rule: PortRule, port: number | undefined, protocol: TraceProtocol): boolean {
  if (rule.protocol === 'icmp' || protocol === 'icmp') return rule.protocol === protocol || (rule.protocol === 'any' && rule.port === undefined);
  if (rule.protocol !== 'any' && rule.protocol !== protocol) return false;
  if (rule.port === undefined) return true;
  if (port === undefined) return false;
  return port >= rule.port && port <= (rule.endPort ?? rule.port);
}
