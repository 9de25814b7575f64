/**
 * The static evaluator: what would happen to a packet from one workload to a
 * workload, a service or an address outside the lab, and which line decides
 * it. Plain TypeScript over a PolicyBundle (no Langium), with the same
 * decision table the datapath implements:
 *
 *  - egress of the source endpoint is checked first, then ingress of the
 *    destination; the packet passes only if both pass;
 *  - in a direction an endpoint is default-allow until a policy selecting it
 *    has a block for that direction, then default-deny there;
 *  - a matching deny rule wins over any matching allow rule;
 *  - a workload belongs to the entities `cluster` and `all`, never `host` or
 *    `world`; CIDR peers never match workloads (as in Cilium, CIDR rules are
 *    for peers outside the cluster); an outside address is `world` and `all`;
 *  - a packet from `host` (the lab's node) meets only the destination's
 *    ingress; the node is the entities `host`, `cluster` and `all` (Cilium's
 *    cluster includes the host), never a selector or a CIDR;
 *  - a service is load-balanced before policy (as Cilium's socket/tc LB):
 *    the packet is judged against each backend at the target port, and
 *    passes only if every backend lets it through;
 *  - ICMP rules without a type match every type; a packet without a type is
 *    an echo request (what a probe sends).
 */
import type { Direction, PolicyBundle, PolicyIR, PortRule, Protocol, RuleIR, ServiceIR, SourceLocation, WorkloadIR, Peer, Labels } from '../protocol/policy-ir.js';
import { cidrContains, CidrError, tryParseCidr, type Cidr } from '../protocol/cidr.js';
import { DEFAULT_NAMESPACE } from './policy-namespaces.js';
import { selectorMatches } from '../protocol/selector-match.js';

export type TraceProtocol = Exclude<Protocol, 'any'>;

export type Decision =
  | { kind: 'rule'; ruleId: string; policyId: string; action: 'allow' | 'deny'; direction: Direction; text: string; source: SourceLocation }
  | { kind: 'default-deny'; policyId: string; direction: Direction; text: string; source: SourceLocation }
  | { kind: 'default-allow' }
  | { kind: 'no-backend'; service: string; source: SourceLocation };

export interface TraceResult {
  verdict: 'allowed' | 'denied';
  decidedBy: Decision;
  /** The reasoning, one sentence per step, for CLI output and hovers. */
  steps: string[];
}

export class UnknownWorkloadError extends Error {}

/** The echo request a probe sends when an ICMP packet has no explicit type. */
export const DEFAULT_ICMP_TYPE = 8;

/** Finds a workload by `name` or `namespace/name`. */
export function findWorkload(bundle: PolicyBundle, ref: string): WorkloadIR | undefined {
  return findNamed(bundle.workloads, ref);
}

export function findService(bundle: PolicyBundle, ref: string): ServiceIR | undefined {
  return findNamed(bundle.services ?? [], ref);
}

/**
 * Lookups a validator repeats for every expect of a large workspace are
 * indexed once per bundle (bundles are not mutated after compilation):
 * items by name, and the policies selecting each workload.
 */
const byNameIndex = new WeakMap<object[], Map<string, Array<{ name: string; namespace: string }>>>();
const selectingIndex = new WeakMap<WorkloadIR, { bundle: PolicyBundle; policies: PolicyIR[] }>();

function findNamed<T extends { name: string; namespace: string }>(items: T[], ref: string): T | undefined {
  let index = byNameIndex.get(items);
  if (!index) {
    index = new Map();
    for (const item of items) index.set(item.name, [...(index.get(item.name) ?? []), item]);
    byNameIndex.set(items, index);
  }
  const slash = ref.indexOf('/');
  const namespace = slash >= 0 ? ref.slice(0, slash) : undefined;
  const name = slash >= 0 ? ref.slice(slash + 1) : ref;
  const candidates = (index.get(name) ?? []).filter((w) => namespace === undefined || w.namespace === namespace) as T[];
  return candidates.find((w) => w.namespace === (namespace ?? DEFAULT_NAMESPACE)) ?? candidates[0];
}

/**
 * The policies whose selector matches the workload (any direction). A policy is
 * namespaced, as a CiliumNetworkPolicy is: it selects endpoints of its own
 * namespace only, whatever its selector says (the agent's compiler agrees).
 */
function policiesSelecting(bundle: PolicyBundle, workload: WorkloadIR): PolicyIR[] {
  const cached = selectingIndex.get(workload);
  if (cached?.bundle === bundle) return cached.policies;
  const policies = bundle.policies.filter((p) => p.namespace === workload.namespace && selectorMatches(p.selector, workload.labels));
  selectingIndex.set(workload, { bundle, policies });
  return policies;
}

/** What a rule's peer is matched against: a workload's labels, or an address outside the lab. */
type Remote = { kind: 'workload'; workload: WorkloadIR } | { kind: 'outside'; address: Cidr; text: string } | { kind: 'host' };

/** The source `host`: the lab's node (a workload cannot be called that: `host` is an entity keyword). */
export const HOST_SOURCE = 'host';

/**
 * `to` is a workload (`name`, `ns/name`), `service:NAME`, `cidr:A.B.C.D/N`, or
 * a bare address; a bare name that is no workload but a service is the service.
 */
/** The L4 part of a traced packet; ICMP without a type is ping's echo request. */
function packetOf(port: number | undefined, protocol: TraceProtocol, icmpType: number | undefined): PacketL4 {
  return { port, protocol, icmpType: protocol === 'icmp' ? icmpType ?? DEFAULT_ICMP_TYPE : undefined };
}

export function trace(
  bundle: PolicyBundle, from: string, to: string, port: number | undefined, protocol: TraceProtocol, icmpType?: number,
): TraceResult {
  const packet = packetOf(port, protocol, icmpType);
  if (from === HOST_SOURCE) return traceFromHost(bundle, to, packet);
  const src = findWorkload(bundle, from);
  if (!src) throw new UnknownWorkloadError(`unknown workload '${from}'`);

  const serviceRef = to.startsWith('service:') ? to.slice('service:'.length) : !findWorkload(bundle, to) ? to : undefined;
  const service = serviceRef !== undefined ? findService(bundle, serviceRef) : undefined;
  if (service) return traceService(bundle, src, service, packet);

  const address = to.startsWith('cidr:') ? to.slice('cidr:'.length) : /^\d+\.\d+\.\d+\.\d+/.test(to) ? to : undefined;
  if (address !== undefined) {
    const parsed = tryParseCidr(address);
    if (parsed instanceof CidrError) throw new UnknownWorkloadError(parsed.message);
    const owner = parsed.prefixLength === 32 ? bundle.workloads.find((w) => w.address === address.replace(/\/32$/, '')) : undefined;
    if (owner) return traceTo(bundle, src, owner, packet);
    return traceOutside(bundle, src, { kind: 'outside', address: parsed, text: address }, packet);
  }
  const dst = findWorkload(bundle, to);
  if (!dst) throw new UnknownWorkloadError(`unknown workload or service '${to}'`);
  return traceTo(bundle, src, dst, packet);
}

interface PacketL4 { port: number | undefined; protocol: TraceProtocol; icmpType: number | undefined }

function describePacket(packet: PacketL4): string {
  return packet.protocol === 'icmp' ? `icmp type ${packet.icmpType}` : `${packet.port ?? 0}/${packet.protocol}`;
}

function denies(decision: Decision): boolean {
  return decision.kind === 'default-deny' || decision.kind === 'no-backend' || (decision.kind === 'rule' && decision.action === 'deny');
}

function traceTo(bundle: PolicyBundle, src: WorkloadIR, dst: WorkloadIR, packet: PacketL4, steps: string[] = []): TraceResult {
  steps.push(`packet ${src.name} -> ${dst.name} ${describePacket(packet)}`);
  const egress = decide(bundle, 'egress', src, { kind: 'workload', workload: dst }, packet, steps);
  if (denies(egress)) return { verdict: 'denied', decidedBy: egress, steps };
  const ingress = decide(bundle, 'ingress', dst, { kind: 'workload', workload: src }, packet, steps);
  if (denies(ingress)) return { verdict: 'denied', decidedBy: ingress, steps };
  // Allowed: the most specific explanation is the ingress rule, then the egress rule.
  return { verdict: 'allowed', decidedBy: ingress.kind === 'rule' ? ingress : egress, steps };
}

/** The node has no egress policy in the lab: only the destination workload's ingress decides. */
function traceFromHost(bundle: PolicyBundle, to: string, packet: PacketL4): TraceResult {
  const dst = findWorkload(bundle, to);
  if (!dst) throw new UnknownWorkloadError(`unknown workload '${to}' (a packet from host goes to a workload)`);
  const steps = [`packet host -> ${dst.name} ${describePacket(packet)}`];
  const ingress = decide(bundle, 'ingress', dst, { kind: 'host' }, packet, steps);
  return { verdict: denies(ingress) ? 'denied' : 'allowed', decidedBy: ingress, steps };
}

/** Outside the lab nobody enforces ingress: only the source's egress decides. */
function traceOutside(bundle: PolicyBundle, src: WorkloadIR, remote: Remote & { kind: 'outside' }, packet: PacketL4): TraceResult {
  const steps = [`packet ${src.name} -> ${remote.text} (outside the lab: world) ${describePacket(packet)}`];
  const egress = decide(bundle, 'egress', src, remote, packet, steps);
  return { verdict: denies(egress) ? 'denied' : 'allowed', decidedBy: egress, steps };
}

function traceService(bundle: PolicyBundle, src: WorkloadIR, service: ServiceIR, packet: PacketL4): TraceResult {
  const steps = [`service ${service.name} ${service.vip}:${service.port}/${service.protocol} -> target port ${service.targetPort}`];
  if (packet.protocol !== service.protocol || (packet.port !== undefined && packet.port !== service.port)) {
    steps.push(`service ${service.name} does not listen on ${describePacket(packet)}`);
    return { verdict: 'denied', decidedBy: { kind: 'no-backend', service: service.name, source: service.source }, steps };
  }
  const backends = bundle.workloads.filter((w) => selectorMatches(service.selector, w.labels));
  if (backends.length === 0) {
    steps.push(`service ${service.name}: its selector matches no workload`);
    return { verdict: 'denied', decidedBy: { kind: 'no-backend', service: service.name, source: service.source }, steps };
  }
  let first: TraceResult | undefined;
  for (const backend of backends) {
    const result = traceTo(bundle, src, backend, { ...packet, port: service.targetPort }, steps);
    if (result.verdict === 'denied') return { ...result, steps };
    first ??= result;
  }
  return { ...first!, steps };
}

/** One direction at one endpoint; `remote` is the peer the rules are matched against. */
function decide(bundle: PolicyBundle, direction: Direction, endpoint: WorkloadIR, remote: Remote, packet: PacketL4, steps: string[]): Decision {
  const enforcing = policiesSelecting(bundle, endpoint).filter((p) => p[direction] !== undefined);
  if (enforcing.length === 0) {
    steps.push(`${direction} of ${endpoint.name}: no policy selects it for ${direction}, default allow`);
    return { kind: 'default-allow' };
  }
  steps.push(`${direction} of ${endpoint.name}: selected by ${enforcing.map((p) => p.id).join(', ')}, default deny`);
  let firstAllow: Decision | undefined;
  for (const policy of enforcing) {
    for (const rule of policy[direction] ?? []) {
      if (!ruleMatchesRemote(rule, remote, packet)) continue;
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
  return { kind: 'default-deny', policyId: cause.id, direction, text: `policy ${cause.name}: select …`, source: cause.selectSource };
}

function ruleDecision(policy: PolicyIR, rule: RuleIR): Decision {
  return { kind: 'rule', ruleId: rule.id, policyId: policy.id, action: rule.action, direction: rule.direction, text: rule.text, source: rule.source };
}

function ruleMatchesRemote(rule: RuleIR, remote: Remote, packet: PacketL4): boolean {
  const peerOk = rule.peers.length === 0 || rule.peers.some((peer) =>
    remote.kind === 'workload' ? peerMatches(peer, remote.workload) : remote.kind === 'host' ? peerMatchesHost(peer) : peerMatchesOutside(peer, remote.address));
  const portOk = rule.ports.length === 0 || rule.ports.some((p) => portMatches(p, packet.port, packet.protocol, packet.icmpType));
  return peerOk && portOk;
}

export function ruleMatches(rule: RuleIR, remote: WorkloadIR, port: number | undefined, protocol: TraceProtocol, icmpType?: number): boolean {
  return ruleMatchesRemote(rule, { kind: 'workload', workload: remote }, packetOf(port, protocol, icmpType));
}

export function peerMatches(peer: Peer, remote: { labels: Labels }): boolean {
  switch (peer.kind) {
    case 'selector': return selectorMatches(peer.selector, remote.labels);
    case 'entity': return peer.entity === 'cluster' || peer.entity === 'all';
    case 'cidr': return false;
  }
}

/** The node is `host`, and in `cluster` and `all`; it has no labels a selector could match, and a CIDR rule is for outside peers. */
function peerMatchesHost(peer: Peer): boolean {
  return peer.kind === 'entity' && (peer.entity === 'host' || peer.entity === 'cluster' || peer.entity === 'all');
}

/** An address outside the lab is `world` (and `all`); CIDR peers match it unless an `except` covers it. */
export function peerMatchesOutside(peer: Peer, address: Cidr): boolean {
  switch (peer.kind) {
    case 'selector': return false;
    case 'entity': return peer.entity === 'world' || peer.entity === 'all';
    case 'cidr': {
      const cidr = tryParseCidr(peer.cidr);
      if (cidr instanceof CidrError || !cidrContains(cidr, address)) return false;
      return !peer.except.some((text) => {
        const except = tryParseCidr(text);
        return !(except instanceof CidrError) && cidrContains(except, address);
      });
    }
  }
}

export function portMatches(rule: PortRule, port: number | undefined, protocol: TraceProtocol, icmpType?: number): boolean {
  if (rule.protocol === 'icmp' || protocol === 'icmp') {
    if (rule.protocol === 'icmp') return protocol === 'icmp' && (rule.icmpType === undefined || rule.icmpType === (icmpType ?? DEFAULT_ICMP_TYPE));
    return rule.protocol === 'any' && rule.port === undefined;
  }
  if (rule.protocol !== 'any' && rule.protocol !== protocol) return false;
  if (rule.port === undefined) return true;
  if (port === undefined) return false;
  return port >= rule.port && port <= (rule.endPort ?? rule.port);
}
