/**
 * What each benchmark configuration installs: a policy bundle with a given
 * number of datapath entries for ours, an iptables ruleset with a given number
 * of linear rules for the baseline (every packet walks the whole chain: the
 * matching rules come last and there is no conntrack shortcut).
 */
import type { PolicyBundle, Peer, PortRule } from '../../src/protocol/policy-ir';
import { bundle, eq, peerOf, policy, workload } from '../../test/kernel/support/bundle-builder';

export const PORTS = { sink: 9000, iperf: 5201, rr: 9001, apply: 9100 } as const;

export const workloads = [workload('client', { app: 'client' }), workload('server', { app: 'server' })];

/** The rules the measured traffic needs: UDP sink, iperf3, request/response. */
function realRules(extraUdpPort?: number) {
  const ports: PortRule[] = [
    { protocol: 'udp', port: PORTS.sink }, { protocol: 'tcp', port: PORTS.iperf }, { protocol: 'tcp', port: PORTS.rr },
  ];
  if (extraUdpPort) ports.push({ protocol: 'udp', port: extraUdpPort });
  return [{ action: 'allow' as const, peers: [peerOf(eq('app', 'client'))], ports }];
}

const cidrPeer = (i: number): Peer => ({ kind: 'cidr', cidr: `172.${16 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`, except: [] });

/**
 * About `entries` policy-map entries on the server: the real rules plus filler
 * rules from CIDR peers (each its own identity and ipcache entry) to TCP ports,
 * as a large cluster's policy would have many peers and ports.
 */
export function bundleWithEntries(entries: number): PolicyBundle {
  const filler = Math.max(0, entries - 3);
  const portsPerPeer = filler >= 10_000 ? 100 : filler >= 100 ? 10 : 1;
  const peers = Math.ceil(filler / portsPerPeer);
  const rules = [...realRules()];
  for (let i = 0; i < peers; i++) {
    const n = Math.min(portsPerPeer, filler - i * portsPerPeer);
    rules.push({ action: 'allow', peers: [cidrPeer(i)], ports: Array.from({ length: n }, (_, j) => ({ protocol: 'tcp' as const, port: 20000 + j })) });
  }
  return bundle(workloads, [policy('server-in', [eq('app', 'server')], { ingress: rules })]);
}

/**
 * A policy of `rules` rules (one entry each: the client to one TCP port);
 * `openPort` changes one rule so that it also allows that UDP port.
 */
export function bundleWithRules(rules: number, openPort?: number): PolicyBundle {
  const specs = [...realRules(openPort)];
  for (let i = 0; i < rules - 1; i++) specs.push({ action: 'allow', peers: [peerOf(eq('app', 'client'))], ports: [{ protocol: 'tcp', port: 30000 + i }] });
  return bundle(workloads, [policy('server-in', [eq('app', 'server')], { ingress: specs })]);
}

export const emptyBundle = (): PolicyBundle => bundle(workloads, []);

/** iptables-restore input: N rules in FORWARD, N-3 that never match, then the three that accept the benchmark's traffic. */
export function iptablesRules(n: number, client: string, server: string): string {
  const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ':BENCH - [0:0]', '-A FORWARD -j BENCH'];
  for (let i = 0; i < n - 3; i++) {
    lines.push(`-A BENCH -s 172.${16 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32 -d ${server}/32 -p tcp --dport 443 -j ACCEPT`);
  }
  // Both directions of the measured traffic match last (replies too: no ESTABLISHED shortcut).
  lines.push(`-A BENCH -s ${client}/32 -d ${server}/32 -j ACCEPT`, `-A BENCH -s ${server}/32 -d ${client}/32 -j ACCEPT`);
  lines.push(`-A BENCH -s ${client}/32 -d ${server}/32 -p udp --dport ${PORTS.sink} -j ACCEPT`, 'COMMIT', '');
  return lines.join('\n');
}

/**
 * The same 10,000 rules as bundleWithRules, written as `policies` policies
 * selecting the server (as a real cluster's policy is spread over many
 * objects): policy 0 holds the real rules, `openPort` changes one rule of it.
 * policy/patch then carries that one policy (rules / policies rules).
 */
export function bundleWithRulesInPolicies(rules: number, policies: number, openPort?: number): PolicyBundle {
  const perPolicy = Math.ceil(rules / policies);
  const out = [];
  for (let p = 0; p < policies; p++) {
    const specs = p === 0 ? [...realRules(openPort)] : [];
    for (let i = p * perPolicy + specs.length; i < Math.min(rules, (p + 1) * perPolicy); i++) {
      specs.push({ action: 'allow', peers: [peerOf(eq('app', 'client'))], ports: [{ protocol: 'tcp', port: 30000 + i }] });
    }
    out.push(policy(`server-in-${p}`, [eq('app', 'server')], { ingress: specs }));
  }
  return bundle(workloads, out);
}
