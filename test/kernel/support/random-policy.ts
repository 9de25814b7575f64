/**
 * Random policy bundles and probes for the differential test, from a seeded
 * PRNG so any failure replays from its seed. The space covers what the IR can
 * say about traffic between workloads: label selectors with every operator
 * (and the namespace term, sometimes named explicitly), entities, CIDR peers
 * (which never match a workload), allow and deny, single ports, ranges,
 * `any` with and without a port, ICMP with and without a type, empty blocks,
 * several policies on one endpoint, two namespaces, and label keys with the
 * `k8s:` source prefix (Cilium's; it names the same label). Probes go between
 * workloads, from workloads to addresses outside the lab (world, CIDR), and
 * from the node (the host entity) to workloads.
 */
import type { Entity, Peer, PolicyBundle, PortRule, SelectorTerm, WorkloadIR } from '../../../src/protocol/policy-ir';
import { bundle, NAMESPACE_LABEL, policy, selector, workload, type RuleSpec } from './bundle-builder';

/** mulberry32: small, fast, good enough to spread test cases. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Dice {
  constructor(private readonly next: () => number) {}
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  chance(p: number): boolean { return this.next() < p; }
  pick<T>(items: readonly T[]): T { return items[Math.floor(this.next() * items.length)]!; }
  some<T>(items: readonly T[], lo: number, hi: number): T[] {
    const pool = [...items];
    const n = Math.min(pool.length, this.int(lo, hi));
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(pool.splice(Math.floor(this.next() * pool.length), 1)[0]!);
    return out;
  }
}

const LABEL_VALUES: Record<string, string[]> = { app: ['web', 'api', 'db'], tier: ['front', 'back'], env: ['prod', 'dev'], team: ['a', 'b'] };
const KEYS = Object.keys(LABEL_VALUES);
const NAMESPACES = ['default', 'other'];
/** Ports probes use; rules pick from the same pool and build ranges across it, so boundaries get hit. */
export const PORTS = [80, 443, 5432, 8080, 9000, 9050, 9100, 9101];
const ICMP_TYPES = [8, 0, 13];
/** The types probes craft (8 is ping's). */
export const CRAFTED_ICMP_TYPES = [0, 13];
/**
 * Outside the lab: only in the world CIDR, in 10.0.0.0/8 but not the lab's
 * 10.244.0.0/16, and inside the `except` 10.244.0.0/16 (the lab range, no
 * endpoint there).
 */
export const OUTSIDE_ADDRESSES = ['192.0.2.10', '10.200.0.9', '10.244.255.9'];

/**
 * `from` is a workload (`name` or `ns/name`) or `host` (the lab's node, the evaluator's HOST_SOURCE);
 * `to` is a workload, or an address from OUTSIDE_ADDRESSES when `outside`.
 */
/** `icmpType`: a crafted ICMP message of that type (workload to workload) instead of ping's echo request. */
export interface Probe { from: string; to: string; protocol: 'tcp' | 'udp' | 'icmp'; port?: number; icmpType?: number; outside?: boolean }

function randomLabels(d: Dice): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const key of d.some(KEYS, 1, 3)) labels[key] = d.pick(LABEL_VALUES[key]!);
  return labels;
}

function randomTerm(d: Dice): SelectorTerm {
  const plain = d.pick(KEYS);
  const values = LABEL_VALUES[plain]!;
  const key = d.chance(0.3) ? `k8s:${plain}` : plain;
  switch (d.int(0, 5)) {
    case 0: return { key, operator: 'in', values: [d.pick(values)] }; // ==
    case 1: return { key, operator: 'notin', values: [d.pick(values)] }; // !=
    case 2: return { key, operator: 'in', values: d.some(values, 1, values.length) };
    case 3: return { key, operator: 'notin', values: d.some(values, 1, values.length) };
    case 4: return { key, operator: 'exists', values: [] };
    default: return { key, operator: 'notexists', values: [] };
  }
}

function randomPeer(d: Dice, namespace: string): Peer {
  const roll = d.int(0, 9);
  if (roll <= 5) {
    const terms = Array.from({ length: d.int(0, 2) }, () => randomTerm(d));
    // Sometimes the peer names a namespace itself (any, or one of the two), else it means the policy's own.
    if (d.chance(0.2)) terms.push(d.chance(0.5) ? { key: NAMESPACE_LABEL, operator: 'exists', values: [] } : { key: NAMESPACE_LABEL, operator: 'in', values: [d.pick(NAMESPACES)] });
    return { kind: 'selector', selector: selector(terms, namespace) };
  }
  if (roll <= 8) return { kind: 'entity', entity: d.pick<Entity>(['cluster', 'all', 'host', 'world']) };
  return d.chance(0.5) ? { kind: 'cidr', cidr: '0.0.0.0/0', except: [] } : { kind: 'cidr', cidr: '10.0.0.0/8', except: ['10.244.0.0/16'] };
}

function randomPort(d: Dice): PortRule {
  switch (d.int(0, 7)) {
    case 0: case 1: return { protocol: d.pick(['tcp', 'udp'] as const), port: d.pick(PORTS) };
    case 2: {
      const a = d.int(0, PORTS.length - 1);
      const b = d.int(a, PORTS.length - 1);
      return { protocol: d.pick(['tcp', 'udp'] as const), port: PORTS[a]!, endPort: PORTS[b]! };
    }
    case 3: return { protocol: 'any', port: d.pick(PORTS) };
    case 4: return { protocol: d.pick(['tcp', 'udp', 'any'] as const) };
    case 5: return { protocol: 'icmp' };
    case 6: return { protocol: 'icmp', icmpType: d.pick(ICMP_TYPES) };
    default: {
      const a = d.pick(PORTS);
      return { protocol: d.pick(['tcp', 'udp'] as const), port: a, endPort: Math.min(65535, a + d.int(0, 120)) };
    }
  }
}

function randomRules(d: Dice, namespace: string): RuleSpec[] {
  return Array.from({ length: d.int(0, 3) }, () => ({
    action: d.chance(0.25) ? 'deny' as const : 'allow' as const,
    peers: d.chance(0.2) ? [] : Array.from({ length: d.int(1, 2) }, () => randomPeer(d, namespace)),
    ports: d.chance(0.2) ? [] : Array.from({ length: d.int(1, 2) }, () => randomPort(d)),
  }));
}

/** Workloads keep their names across bundles (w0…w4, w4 in namespace `other`), so the lab only relabels. */
export function randomBundle(d: Dice, workloadCount = 5): PolicyBundle {
  const workloads: WorkloadIR[] = Array.from({ length: workloadCount }, (_, i) =>
    workload(`w${i}`, randomLabels(d), 1, i === workloadCount - 1 ? 'other' : 'default'));
  const policies = Array.from({ length: d.int(1, 4) }, (_, i) => {
    const namespace = d.chance(0.8) ? 'default' : 'other';
    const blocks: { ingress?: RuleSpec[]; egress?: RuleSpec[] } = {};
    if (d.chance(0.6)) blocks.ingress = randomRules(d, namespace);
    if (d.chance(0.3)) blocks.egress = randomRules(d, namespace);
    return policy(`p${i}`, Array.from({ length: d.int(0, 2) }, () => randomTerm(d)), blocks, namespace);
  });
  return bundle(workloads, policies);
}

export function qualified(w: WorkloadIR): string {
  return w.namespace === 'default' ? w.name : `${w.namespace}/${w.name}`;
}

export function randomProbe(d: Dice, b: PolicyBundle): Probe {
  const [from, to] = d.some(b.workloads, 2, 2);
  const protocol = d.pick(['tcp', 'tcp', 'udp', 'udp', 'icmp'] as const);
  const roll = d.int(0, 9);
  const probe: Probe = roll <= 1 ? { from: qualified(from!), to: d.pick(OUTSIDE_ADDRESSES), protocol, outside: true }
    : roll === 2 ? { from: 'host', to: qualified(to!), protocol }
    : { from: qualified(from!), to: qualified(to!), protocol };
  if (protocol !== 'icmp') probe.port = d.pick(PORTS);
  // Typed ICMP rules (0 echo-reply, 13 timestamp) meet packets of their own type, not only ping's 8.
  else if (!probe.outside && probe.from !== 'host' && d.chance(0.5)) probe.icmpType = d.pick(CRAFTED_ICMP_TYPES);
  return probe;
}
