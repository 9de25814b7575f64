/**
 * Policy IR → Kubernetes NetworkPolicy (networking.k8s.io/v1), one document per
 * policy. NetworkPolicy only allows: deny rules, entities, ICMP and L7 rules
 * have no equivalent, so each is reported with its line and left out in the
 * direction that never allows more than the source policy (a rule whose every
 * peer or port was left out is skipped, not widened to "any").
 */
import type { PolicyBundle, PolicyIR, Peer, PortRule, RuleIR, SelectorTerm } from '../../protocol/policy-ir.js';
import { NAMESPACE_LABEL, NAMESPACE_LABELS_PREFIX } from '../../protocol/labels.js';
import { selectorKey } from '../../protocol/selector-match.js';
import { NAMESPACE_NAME_LABEL, isNamespaceTerm, isOwnNamespaceTerm, toK8sSelector } from './label-selector.js';
import type { WarningList } from './interop-warning.js';
import type { NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from './manifest-types.js';

export function exportKubernetes(bundle: PolicyBundle, warnings: WarningList): NetworkPolicy[] {
  const documents: NetworkPolicy[] = [];
  for (const policy of bundle.policies) {
    if (!policy.ingress && !policy.egress) {
      warnings.add(`policy ${policy.name} has no ingress or egress block: nothing to export`, { source: policy.source });
      continue;
    }
    documents.push(policyToKubernetes(policy, warnings));
  }
  return documents;
}

function policyToKubernetes(policy: PolicyIR, warnings: WarningList): NetworkPolicy {
  const namespaceTerms = policy.selector.terms.filter(isNamespaceTerm);
  if (namespaceTerms.some((t) => !isOwnNamespaceTerm(t, policy.namespace))) {
    warnings.add(`policy ${policy.name}: a NetworkPolicy's podSelector only selects pods of its own namespace (${policy.namespace}); the namespace terms of its select are dropped`, { source: policy.selectSource });
  }
  const spec: NetworkPolicy['spec'] = { podSelector: toK8sSelector(policy.selector.terms.filter((t) => !isNamespaceTerm(t)), selectorKey), policyTypes: [] };
  if (policy.ingress) {
    spec.policyTypes!.push('Ingress');
    spec.ingress = rulesOf(policy, policy.ingress, warnings).map(({ peers, ports }) => ({ ...(peers && { from: peers }), ...(ports && { ports }) }));
  }
  if (policy.egress) {
    spec.policyTypes!.push('Egress');
    spec.egress = rulesOf(policy, policy.egress, warnings).map(({ peers, ports }) => ({ ...(peers && { to: peers }), ...(ports && { ports }) }));
  }
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: policy.name, namespace: policy.namespace },
    spec,
  };
}

/** `undefined` peers or ports: any (the field is omitted). */
interface NpRule { peers?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }

function rulesOf(policy: PolicyIR, rules: RuleIR[], warnings: WarningList): NpRule[] {
  const result: NpRule[] = [];
  for (const rule of rules) {
    const where = { source: rule.source };
    if (rule.action === 'deny') {
      warnings.add(`policy ${policy.name}: NetworkPolicy has no deny rules; \`${rule.text}\` is skipped (the exported policy allows more)`, where);
      continue;
    }
    if (rule.http?.length) {
      warnings.add(`policy ${policy.name}: NetworkPolicy has no L7 rules; the HTTP rules of \`${rule.text}\` are dropped and its ports allowed whole`, where);
    }
    const peers = peersOf(policy, rule, warnings);
    const ports = portsOf(policy, rule, warnings);
    if (peers === null || ports === null) {
      warnings.add(`policy ${policy.name}: nothing of \`${rule.text}\` is left that NetworkPolicy can express; rule skipped`, where);
      continue;
    }
    result.push({ peers, ports });
  }
  return result;
}

/** undefined: any peer; null: every peer was left out. */
function peersOf(policy: PolicyIR, rule: RuleIR, warnings: WarningList): NetworkPolicyPeer[] | undefined | null {
  if (rule.peers.length === 0 || rule.peers.some((p) => p.kind === 'entity' && p.entity === 'all')) return undefined;
  const peers: NetworkPolicyPeer[] = [];
  for (const peer of rule.peers) {
    const converted = peerOf(peer, policy.namespace);
    if (typeof converted === 'string') warnings.add(`policy ${policy.name}: ${converted} in \`${rule.text}\`; peer left out`, { source: rule.source });
    else peers.push(converted);
  }
  return peers.length ? peers : null;
}

/** A peer, or why it cannot be expressed. */
function peerOf(peer: Peer, namespace: string): NetworkPolicyPeer | string {
  if (peer.kind === 'entity') return `NetworkPolicy cannot express the entity '${peer.entity}'`;
  if (peer.kind === 'cidr') return { ipBlock: peer.except.length ? { cidr: peer.cidr, except: [...peer.except] } : { cidr: peer.cidr } };
  const namespaceTerms = peer.selector.terms.filter(isNamespaceTerm);
  const podSelector = toK8sSelector(peer.selector.terms.filter((t) => !isNamespaceTerm(t)), selectorKey);
  // Only the compiler's scoping term: pods of the policy's own namespace.
  if (namespaceTerms.length === 0 || (namespaceTerms.length === 1 && isOwnNamespaceTerm(namespaceTerms[0]!, namespace))) return { podSelector };
  const namespaceSelectorTerms: SelectorTerm[] = [];
  for (const term of namespaceTerms) {
    const key = selectorKey(term.key);
    if (key === NAMESPACE_LABEL) {
      if (term.operator === 'exists') continue; // any namespace: an empty namespaceSelector
      if (term.operator === 'notexists') return 'a selector requiring no namespace matches no pod, and NetworkPolicy cannot express it';
      namespaceSelectorTerms.push({ ...term, key: NAMESPACE_NAME_LABEL });
    } else {
      namespaceSelectorTerms.push({ ...term, key: key.slice(NAMESPACE_LABELS_PREFIX.length) });
    }
  }
  // In one peer, namespaceSelector and podSelector are ANDed, which is what the terms mean.
  const result: NetworkPolicyPeer = { namespaceSelector: toK8sSelector(namespaceSelectorTerms) };
  if (podSelector.matchLabels || podSelector.matchExpressions) result.podSelector = podSelector;
  return result;
}

/** undefined: any port; null: every port was left out. */
function portsOf(policy: PolicyIR, rule: RuleIR, warnings: WarningList): NetworkPolicyPort[] | undefined | null {
  if (rule.ports.length === 0 || rule.ports.some((p) => p.protocol === 'any' && p.port === undefined)) return undefined;
  const ports: NetworkPolicyPort[] = [];
  for (const port of rule.ports) {
    if (port.protocol === 'icmp') {
      warnings.add(`policy ${policy.name}: NetworkPolicy cannot express ICMP in \`${rule.text}\`; port left out`, { source: rule.source });
      continue;
    }
    // A port without protocol defaults to TCP in NetworkPolicy, so `any` is written as both.
    const protocols = port.protocol === 'any' ? ['TCP', 'UDP'] : [port.protocol.toUpperCase()];
    for (const protocol of protocols) ports.push(portEntry(port, protocol));
  }
  return ports.length ? ports : null;
}

function portEntry(port: PortRule, protocol: string): NetworkPolicyPort {
  const entry: NetworkPolicyPort = { protocol };
  if (port.port !== undefined) entry.port = port.port;
  if (port.endPort !== undefined && port.endPort !== port.port) entry.endPort = port.endPort;
  return entry;
}
