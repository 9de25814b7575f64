/**
 * Policy IR → what the datapath needs: EndpointConfig[] (with the cookie of
 * the policy that put each direction into default deny), IpcacheEntry[] (IP
 * → identity) and PolicyEntry[] (one row per endpoint × direction × peer
 * identity × port range). Pure: no kernel, no I/O.
 *
 * Cilium's semantics: an endpoint is default-allow in a direction until a
 * policy selecting it has a block for that direction. Policies and their peer
 * selectors see only their own namespace unless a selector names one. Deny
 * precedence is left to the datapath driver (Datapath.setPolicy).
 */
import type { EndpointConfig, IpcacheEntry, PolicyEntry } from '../datapath/types';
import type { Direction, Peer, PolicyBundle, PolicyIR, PortRule, RuleIR } from '../../protocol/policy-ir';
import type { Labels } from '../../protocol/policy-ir';
import type { IdentityAllocator } from './identity-allocator';
import { cidrContains, cidrText, parseCidr, type Cidr } from '../../protocol/cidr';
import { ReservedIdentity } from '../../protocol/identities';
import { IpProtocol, protocolNumber } from '../../protocol/ip-protocols';
import { labelsWithNamespace } from '../../protocol/labels';
import { selectorMatches, selectorNamesNamespace } from '../../protocol/selector-match';

/** What the compiler needs to know about an endpoint. */
export interface CompilerEndpoint {
  name: string;
  endpointId: number;
  ifname: string;
  ip: string;
  identity: number;
  namespace: string;
  labels: Labels;
  mac?: string;
  hostMac?: string;
}

export interface CompiledPolicy {
  endpoints: EndpointConfig[];
  ipcache: IpcacheEntry[];
  entries: PolicyEntry[];
  enforcing: { endpoint: string; ingress: boolean; egress: boolean }[];
  /** CIDRs that got an identity; the rest can be released. */
  cidrs: Set<string>;
}

const WORLD_CIDR = '0.0.0.0/0';

export function compilePolicy(bundle: PolicyBundle | undefined, endpoints: CompilerEndpoint[], identities: IdentityAllocator, nodeIp: string): CompiledPolicy {
  const policies = bundle?.policies ?? [];
  const ctx = compileContext(collectCidrs(policies), endpoints, identities, nodeIp);
  const configs: EndpointConfig[] = [];
  const entries: PolicyEntry[] = [];
  const seen = new Set<string>();
  const enforcing: CompiledPolicy['enforcing'] = [];

  for (const ep of endpoints) {
    const selecting = policies.filter((p) => policySelects(p, ep));
    const config = endpointConfig(ep, selecting);
    configs.push(config);
    enforcing.push({ endpoint: ep.name, ingress: config.ingressPolicyCookie !== 0, egress: config.egressPolicyCookie !== 0 });
    for (const policy of selecting) policyEntriesFor(policy, ep, ctx, seen, entries);
  }
  identities.retainCidrs(new Set(ctx.cidrIds.keys()));
  return { endpoints: configs, ipcache: ctx.ipcache, entries, enforcing, cidrs: new Set(ctx.cidrIds.keys()) };
}

/** What resolving peers needs: the lab's endpoints and the identity of every CIDR the whole bundle names. */
export interface CompileContext {
  endpoints: CompilerEndpoint[];
  endpointLabels: { e: CompilerEndpoint; labels: Labels }[];
  cidrIds: Map<string, { cidr: Cidr; id: number }>;
  ipcache: IpcacheEntry[];
  /** (namespace, selector) → identities, memoised per compile: thousands of rules name the same few selectors. */
  selectorPeers: Map<string, number[]>;
  /** (CIDR, except list) → identities, memoised the same way: a CIDR peer repeats on every endpoint its policy selects. */
  cidrPeers: Map<string, number[]>;
}

export function compileContext(cidrs: Map<string, Cidr>, endpoints: CompilerEndpoint[], identities: IdentityAllocator, nodeIp: string): CompileContext {
  const cidrIds = new Map<string, { cidr: Cidr; id: number }>();
  // 0.0.0.0/0 is `world` itself in Cilium, not a CIDR identity of its own.
  for (const [text, cidr] of cidrs) cidrIds.set(text, { cidr, id: text === WORLD_CIDR ? ReservedIdentity.World : identities.forCidr(text) });
  const ipcache: IpcacheEntry[] = [
    { cidr: WORLD_CIDR, identity: ReservedIdentity.World },
    { cidr: `${nodeIp}/32`, identity: ReservedIdentity.Host },
    ...[...cidrIds].filter(([cidr]) => cidr !== WORLD_CIDR).map(([cidr, { id }]) => ({ cidr, identity: id })),
    ...endpoints.map((e) => ({ cidr: `${e.ip}/32`, identity: e.identity })),
  ];
  const endpointLabels = endpoints.map((e) => ({ e, labels: labelsWithNamespace(e.namespace, e.labels) }));
  return { endpoints, endpointLabels, cidrIds, ipcache, selectorPeers: new Map(), cidrPeers: new Map() };
}

export function policySelects(policy: PolicyIR, ep: CompilerEndpoint): boolean {
  return policy.namespace === ep.namespace && selectorMatches(policy.selector, labelsWithNamespace(ep.namespace, ep.labels));
}

/** An endpoint's config: per direction the cookie of the first selecting policy with a block there (0: default allow). */
export function endpointConfig(ep: CompilerEndpoint, selecting: readonly PolicyIR[]): EndpointConfig {
  const cookieFor = (dir: Direction): number => selecting.find((p) => blockOf(p, dir) !== undefined)?.cookie ?? 0;
  return {
    endpointId: ep.endpointId,
    ifname: ep.ifname,
    ip: ep.ip,
    identity: ep.identity,
    ingressPolicyCookie: cookieFor('ingress'),
    egressPolicyCookie: cookieFor('egress'),
    ...(ep.mac && ep.hostMac ? { mac: ep.mac, hostMac: ep.hostMac } : {}),
  };
}

function peerIdentities(ctx: CompileContext, policy: PolicyIR, peer: Peer): number[] {
  switch (peer.kind) {
    case 'entity':
      switch (peer.entity) {
        case 'host': return [ReservedIdentity.Host];
        case 'world': return unique([ReservedIdentity.World, ...[...ctx.cidrIds.values()].map((c) => c.id)]);
        case 'all': return [ReservedIdentity.Any];
        case 'cluster': return [ReservedIdentity.Host, ...ctx.endpoints.map((e) => e.identity)];
      }
      break;
    case 'selector': {
      const memoKey = `${policy.namespace}\0${JSON.stringify(peer.selector)}`;
      let ids = ctx.selectorPeers.get(memoKey);
      if (!ids) {
        const anyNs = selectorNamesNamespace(peer.selector);
        ids = ctx.endpointLabels
          .filter(({ e, labels }) => (anyNs || e.namespace === policy.namespace) && selectorMatches(peer.selector, labels))
          .map(({ e }) => e.identity);
        ctx.selectorPeers.set(memoKey, ids);
      }
      return ids;
    }
    case 'cidr': {
      const memoKey = [peer.cidr, ...peer.except].join(' ');
      let ids = ctx.cidrPeers.get(memoKey);
      if (!ids) {
        const outer = parseCidr(peer.cidr);
        const except = peer.except.map(parseCidr);
        ids = [...ctx.cidrIds.values()]
          .filter(({ cidr }) => cidrContains(outer, cidr) && !except.some((x) => cidrContains(x, cidr)))
          .map(({ id }) => id);
        ctx.cidrPeers.set(memoKey, ids);
      }
      return ids;
    }
  }
  return [];
}

/** Appends to `out` the entries one policy puts on one endpoint it selects (deduplicated through `seen`). */
export function policyEntriesFor(policy: PolicyIR, ep: CompilerEndpoint, ctx: CompileContext, seen: Set<string>, out: PolicyEntry[]): void {
  for (const [dir, rule] of rulesOf(policy)) ruleEntriesFor(policy, dir, rule, ep, ctx, seen, out);
}

/** Appends to `out` the entries one rule of `policy` puts on one endpoint the policy selects (deduplicated through `seen`). */
export function ruleEntriesFor(policy: PolicyIR, dir: Direction, rule: RuleIR, ep: CompilerEndpoint, ctx: CompileContext, seen: Set<string>, out: PolicyEntry[]): void {
  for (const row of ruleRows(rule, rule.peers.length === 0 ? [ReservedIdentity.Any] : unique(rule.peers.flatMap((p) => peerIdentities(ctx, policy, p))))) {
    const key = `${ep.endpointId}/${dir}/${row.identity}/${row.protocol}/${row.portStart}/${row.portEnd}/${row.action}/${row.cookie}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ endpointId: ep.endpointId, direction: dir, ...row });
    }
  }
}

/** A policy's rules with their direction, ingress first, in source order. */
export function* rulesOf(policy: PolicyIR): Generator<[Direction, RuleIR]> {
  for (const dir of ['ingress', 'egress'] as const) for (const rule of blockOf(policy, dir) ?? []) yield [dir, rule];
}

function blockOf(policy: PolicyIR, dir: Direction): RuleIR[] | undefined {
  return dir === 'ingress' ? policy.ingress : policy.egress;
}

type Row = Omit<PolicyEntry, 'endpointId' | 'direction'>;

function ruleRows(rule: RuleIR, peerIds: number[]): Row[] {
  const ports = rule.ports.length === 0 ? [{ protocol: 0, portStart: 0, portEnd: 0 }] : rule.ports.flatMap(portRanges);
  const rows: Row[] = [];
  for (const identity of peerIds) {
    for (const p of ports) rows.push({ identity, ...p, action: rule.action, cookie: rule.cookie });
  }
  return rows;
}

/** A port rule as (protocol, range) rows; `any` with a port means TCP and UDP, as in Cilium. */
export function portRanges(p: PortRule): { protocol: number; portStart: number; portEnd: number }[] {
  if (p.protocol === 'icmp') {
    // Any type is the full range: 0..0 is type 0 (echo-reply) for ICMP (policy-entries.ts l4Prefixes()).
    return [p.icmpType === undefined ? { protocol: IpProtocol.Icmp, portStart: 0, portEnd: 0xffff } : { protocol: IpProtocol.Icmp, portStart: p.icmpType, portEnd: p.icmpType }];
  }
  const range = p.port === undefined ? { portStart: 0, portEnd: 0 } : { portStart: p.port, portEnd: p.endPort ?? p.port };
  if (p.protocol === 'any') {
    return p.port === undefined ? [{ protocol: 0, ...range }] : [{ protocol: IpProtocol.Tcp, ...range }, { protocol: IpProtocol.Udp, ...range }];
  }
  return [{ protocol: protocolNumber(p.protocol), ...range }];
}

/** Every CIDR (and `except` CIDR) the policies mention, normalised; each gets its own identity. */
export function collectCidrs(policies: readonly PolicyIR[]): Map<string, Cidr> {
  const out = new Map<string, Cidr>();
  const add = (text: string) => {
    const c = parseCidr(text);
    out.set(cidrText(c), c);
  };
  for (const p of policies) {
    for (const rule of [...(p.ingress ?? []), ...(p.egress ?? [])]) {
      for (const peer of rule.peers) {
        if (peer.kind === 'cidr') {
          add(peer.cidr);
          peer.except.forEach(add);
        }
      }
    }
  }
  return out;
}

function unique(ids: number[]): number[] {
  return [...new Set(ids)];
}
