/**
 * Kubernetes NetworkPolicy → ImportedPolicy, with the API's semantics:
 *  - policyTypes defaults to Ingress, plus Egress when there are egress rules;
 *  - a listed type without rules is default deny in that direction;
 *  - a rule without `from`/`to` (or with an empty list) matches every peer,
 *    without `ports` every port; a port without protocol is TCP;
 *  - in one peer, namespaceSelector and podSelector are ANDed; a peer with
 *    only a podSelector means pods of the policy's own namespace, an empty
 *    podSelector all of them; an empty namespaceSelector every namespace.
 * Namespaces become the language's labels: a namespace's name is
 * `io.kubernetes.pod.namespace` (Kubernetes' `kubernetes.io/metadata.name`),
 * its labels `io.cilium.k8s.namespace.labels.<key>`.
 */
import type { Peer, PortRule, SelectorTerm } from '../../protocol/policy-ir.js';
import { NAMESPACE_LABEL, NAMESPACE_LABELS_PREFIX } from '../../protocol/labels.js';
import type { ImportedPolicy, ImportedRule } from './imported-policy.js';
import type { WarningList } from './interop-warning.js';
import { NAMESPACE_NAME_LABEL, fromK8sSelector } from './label-selector.js';
import type { NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from './manifest-types.js';

export function namespaceKey(key: string): string {
  return key === NAMESPACE_NAME_LABEL ? NAMESPACE_LABEL : NAMESPACE_LABELS_PREFIX + key;
}

export function importNetworkPolicy(doc: NetworkPolicy, line: number, warnings: WarningList): ImportedPolicy {
  const name = doc.metadata?.name ?? 'unnamed';
  const spec = doc.spec ?? ({} as NetworkPolicy['spec']);
  const policy: ImportedPolicy = {
    kind: 'NetworkPolicy', name, namespace: doc.metadata?.namespace ?? 'default',
    select: fromK8sSelector(spec.podSelector), line,
  };
  const types = spec.policyTypes ?? ['Ingress', ...(spec.egress?.length ? ['Egress' as const] : [])];
  const context = (what: string): string => `NetworkPolicy ${name}: ${what}`;
  if (types.includes('Ingress')) policy.ingress = (spec.ingress ?? []).flatMap((r, i) => ruleOf(r.from, r.ports, context(`ingress rule ${i + 1}`), line, warnings));
  if (types.includes('Egress')) policy.egress = (spec.egress ?? []).flatMap((r, i) => ruleOf(r.to, r.ports, context(`egress rule ${i + 1}`), line, warnings));
  return policy;
}

function ruleOf(peersIn: NetworkPolicyPeer[] | undefined, portsIn: NetworkPolicyPort[] | undefined, what: string, line: number, warnings: WarningList): ImportedRule[] {
  const peers: Peer[] = [];
  for (const peer of peersIn ?? []) {
    const converted = peerOf(peer);
    if (typeof converted === 'string') warnings.add(`${what}: ${converted}; peer left out`, { line });
    else peers.push(converted);
  }
  const ports: PortRule[] = [];
  for (const port of portsIn ?? []) {
    const converted = portOf(port);
    if (typeof converted === 'string') warnings.add(`${what}: ${converted}; port left out`, { line });
    else ports.push(converted);
  }
  // Never widen: a rule that lost all its peers or ports allows nothing, so it is dropped.
  if ((peersIn?.length && !peers.length) || (portsIn?.length && !ports.length)) {
    warnings.add(`${what}: nothing the language can express is left; rule skipped`, { line });
    return [];
  }
  return [{ action: 'allow', peers, ports }];
}

function peerOf(peer: NetworkPolicyPeer): Peer | string {
  if (peer.ipBlock) {
    if (peer.ipBlock.cidr.includes(':')) return `IPv6 block ${peer.ipBlock.cidr} is not supported`;
    return { kind: 'cidr', cidr: peer.ipBlock.cidr, except: (peer.ipBlock.except ?? []).filter((e) => !e.includes(':')) };
  }
  if (!peer.podSelector && !peer.namespaceSelector) return 'a peer needs a podSelector, namespaceSelector or ipBlock';
  const terms: SelectorTerm[] = fromK8sSelector(peer.podSelector);
  if (peer.namespaceSelector) {
    const namespaceTerms = fromK8sSelector(peer.namespaceSelector, namespaceKey);
    // Without a name term the peer is not limited to the policy's namespace: say "any namespace".
    if (!namespaceTerms.some((t) => t.key === NAMESPACE_LABEL)) namespaceTerms.push({ key: NAMESPACE_LABEL, operator: 'exists', values: [] });
    terms.push(...namespaceTerms);
  }
  return { kind: 'selector', selector: { terms } };
}

function portOf(port: NetworkPolicyPort): PortRule | string {
  const protocol = (port.protocol ?? 'TCP').toLowerCase();
  if (protocol !== 'tcp' && protocol !== 'udp') return `protocol ${port.protocol} is not supported`;
  if (typeof port.port === 'string' && !/^\d+$/.test(port.port)) return `named port '${port.port}' cannot be resolved without pods`;
  const rule: PortRule = { protocol };
  if (port.port !== undefined) rule.port = Number(port.port);
  if (port.endPort !== undefined && rule.port !== undefined) rule.endPort = port.endPort;
  return rule;
}
