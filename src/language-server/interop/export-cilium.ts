/**
 * Policy IR → CiliumNetworkPolicy (cilium.io/v2), one document per policy.
 *
 * Cilium's semantics are the language's, so most constructs map one to one:
 * allow rules → `ingress`/`egress`, deny rules → `ingressDeny`/`egressDeny`,
 * an empty block → `[{}]` (default deny, nothing allowed). Cilium rejects a
 * rule that combines endpoint, CIDR and entity peers, and one that combines
 * `toPorts` with `icmps`, so such a language rule becomes several CNP rules
 * (the peers and ports of one rule are ORed either way).
 */
import type { PolicyBundle, PolicyIR, Peer, PortRule, RuleIR, SelectorTerm } from '../../protocol/policy-ir.js';
import { NAMESPACE_LABEL, NAMESPACE_LABELS_PREFIX } from '../../protocol/labels.js';
import { selectorKey } from '../../protocol/selector-match.js';
import { isOwnNamespaceTerm, toK8sSelector } from './label-selector.js';
import type { WarningList } from './interop-warning.js';
import type { CiliumCidrRule, CiliumHttpRule, CiliumNetworkPolicy, CiliumPolicySpec, CiliumPortProtocol, CiliumRule, K8sLabelSelector } from './manifest-types.js';

/** Cilium writes the labels it derives from Kubernetes with their source, `k8s:`. */
export function ciliumKey(key: string): string {
  const plain = selectorKey(key);
  return plain === NAMESPACE_LABEL || plain.startsWith(NAMESPACE_LABELS_PREFIX) ? `k8s:${plain}` : key;
}

export function exportCilium(bundle: PolicyBundle, warnings: WarningList): CiliumNetworkPolicy[] {
  const documents: CiliumNetworkPolicy[] = [];
  for (const policy of bundle.policies) {
    if (!policy.ingress && !policy.egress) {
      warnings.add(`policy ${policy.name} has no ingress or egress block: nothing to export`, { source: policy.source });
      continue;
    }
    documents.push(policyToCilium(policy, warnings));
  }
  return documents;
}

function policyToCilium(policy: PolicyIR, warnings: WarningList): CiliumNetworkPolicy {
  const foreign = policy.selector.terms.filter((t) => selectorKey(t.key) === NAMESPACE_LABEL && !isOwnNamespaceTerm(t, policy.namespace));
  if (foreign.length) {
    warnings.add(`policy ${policy.name}: a CiliumNetworkPolicy only selects endpoints of its own namespace (${policy.namespace}); the namespace term of its select is kept but cannot widen it`, { source: policy.selectSource });
  }
  const spec: CiliumPolicySpec = { endpointSelector: selectorOf(policy.selector.terms, policy.namespace) };
  for (const direction of ['ingress', 'egress'] as const) {
    const rules = policy[direction];
    if (!rules) continue;
    const allow = rules.filter((r) => r.action === 'allow').flatMap((r) => ruleToCilium(r, policy, warnings));
    const deny = rules.filter((r) => r.action === 'deny').flatMap((r) => ruleToCilium(r, policy, warnings));
    if (allow.length) spec[direction] = allow;
    if (deny.length) spec[direction === 'ingress' ? 'ingressDeny' : 'egressDeny'] = deny;
    // An empty rule selects no peer but still puts the endpoints in default deny (Cilium's documented idiom).
    if (!allow.length && !deny.length) spec[direction] = [{}];
  }
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumNetworkPolicy',
    metadata: { name: policy.name, namespace: policy.namespace },
    spec,
  };
}

/** A namespaced CNP scopes its selectors to its namespace itself: the compiler's scoping term is dropped. */
function selectorOf(terms: SelectorTerm[], namespace: string): K8sLabelSelector {
  return toK8sSelector(terms.filter((t) => !isOwnNamespaceTerm(t, namespace)), ciliumKey);
}

function ruleToCilium(rule: RuleIR, policy: PolicyIR, warnings: WarningList): CiliumRule[] {
  const from = rule.direction === 'ingress' ? 'from' : 'to';
  const l4 = layer4Of(rule, policy, warnings);
  if (l4 === undefined) return [];
  const l3 = layer3Of(rule.peers, from, policy.namespace);
  // No peer and no port: every peer. Cilium needs an explicit entity for that.
  if (l3.length === 0) l3.push(l4.length === 1 && Object.keys(l4[0]!).length === 0 ? { [`${from}Entities`]: ['all'] } : {});
  return l3.flatMap((peers) => l4.map((ports) => ({ ...peers, ...ports })));
}

function layer3Of(peers: Peer[], from: 'from' | 'to', namespace: string): CiliumRule[] {
  const endpoints: K8sLabelSelector[] = [];
  const cidrs: CiliumCidrRule[] = [];
  const entities: string[] = [];
  for (const peer of peers) {
    if (peer.kind === 'selector') endpoints.push(selectorOf(peer.selector.terms, namespace));
    else if (peer.kind === 'entity') entities.push(peer.entity);
    else cidrs.push(peer.except.length ? { cidr: peer.cidr, except: [...peer.except] } : { cidr: peer.cidr });
  }
  const rules: CiliumRule[] = [];
  if (endpoints.length) rules.push({ [`${from}Endpoints`]: endpoints });
  if (cidrs.length) rules.push({ [`${from}CIDRSet`]: cidrs });
  if (entities.length) rules.push({ [`${from}Entities`]: [...new Set(entities)] });
  return rules;
}

/** The L4 halves of the CNP rules for `rule`; `[{}]` means any port; undefined means nothing exportable is left. */
function layer4Of(rule: RuleIR, policy: PolicyIR, warnings: WarningList): Partial<CiliumRule>[] | undefined {
  const where = { source: rule.source };
  if (rule.ports.length === 0 || rule.ports.some((p) => p.protocol === 'any' && p.port === undefined)) {
    if (rule.http?.length) warnings.add(`policy ${policy.name}: HTTP rules need TCP ports in a CiliumNetworkPolicy; \`${rule.text}\` is exported without them`, where);
    return [{}];
  }
  const ports: CiliumPortProtocol[] = rule.ports.filter((p) => p.protocol !== 'icmp').map(portOf);
  const icmpTypes: number[] = [];
  for (const p of rule.ports.filter((p) => p.protocol === 'icmp')) {
    if (p.icmpType === undefined) warnings.add(`policy ${policy.name}: ICMP without a type cannot be expressed in a CiliumNetworkPolicy (icmps needs a type); it is left out of \`${rule.text}\``, where);
    else icmpTypes.push(p.icmpType);
  }
  const variants: Partial<CiliumRule>[] = [];
  if (ports.length) {
    const entry: { ports: CiliumPortProtocol[]; rules?: { http: CiliumHttpRule[] } } = { ports };
    if (rule.http?.length) {
      if (rule.action === 'deny') warnings.add(`policy ${policy.name}: Cilium deny rules cannot carry HTTP rules; \`${rule.text}\` denies the whole port`, where);
      else entry.rules = { http: rule.http.map(httpOf) };
    }
    variants.push({ toPorts: [entry] });
  }
  if (icmpTypes.length) variants.push({ icmps: [{ fields: icmpTypes.map((type) => ({ type, family: 'IPv4' as const })) }] });
  if (!variants.length) warnings.add(`policy ${policy.name}: \`${rule.text}\` has no port left that a CiliumNetworkPolicy can express; rule skipped`, where);
  return variants.length ? variants : undefined;
}

function portOf(port: PortRule): CiliumPortProtocol {
  // Port "0" is Cilium's "every port of this protocol".
  const entry: CiliumPortProtocol = { port: String(port.port ?? 0), protocol: port.protocol === 'any' ? 'ANY' : port.protocol.toUpperCase() };
  if (port.endPort !== undefined && port.endPort !== port.port) entry.endPort = port.endPort;
  return entry;
}

function httpOf(rule: { method?: string; path?: string; headers?: string[] }): CiliumHttpRule {
  const http: CiliumHttpRule = {};
  if (rule.method && rule.method !== 'ANY') http.method = rule.method;
  if (rule.path !== undefined) http.path = rule.path;
  if (rule.headers?.length) http.headers = [...rule.headers];
  return http;
}
