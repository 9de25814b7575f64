/**
 * CiliumNetworkPolicy → ImportedPolicy. Cilium's semantics are the language's:
 * `ingress`/`egress` rules allow, `ingressDeny`/`egressDeny` deny (and win),
 * a direction with any rule puts the selected endpoints in default deny, an
 * empty rule `{}` matches nothing, a rule with only ports matches every peer.
 * Selectors of a namespaced CNP are scoped to its namespace unless they name
 * `io.kubernetes.pod.namespace`, as the language's are. Label sources
 * (`k8s:`, `any:`) are dropped: the language's labels have none.
 */
import type { HttpRuleIR, Peer, PortRule, RuleAction, SelectorTerm } from '../../protocol/policy-ir.js';
import { NAMESPACE_LABEL } from '../../protocol/labels.js';
import type { ImportedPolicy, ImportedRule } from './imported-policy.js';
import type { WarningList } from './interop-warning.js';
import { fromK8sSelector, isOwnNamespaceTerm } from './label-selector.js';
import type { CiliumHttpRule, CiliumNetworkPolicy, CiliumPolicySpec, CiliumPortRule, CiliumRule } from './manifest-types.js';

const ENTITIES = new Set(['host', 'world', 'cluster', 'all']);
const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE']);
/** Cilium's IPv4 ICMP type names. */
const ICMP_TYPES: Record<string, number> = {
  EchoReply: 0, DestinationUnreachable: 3, Redirect: 5, Echo: 8, EchoRequest: 8, RouterAdvertisement: 9,
  RouterSelection: 10, TimeExceeded: 11, ParameterProblem: 12, Timestamp: 13, TimestampReply: 14, Photuris: 40,
};
/** Rule fields import understands; any other is reported. */
const KNOWN_FIELDS = new Set(['Endpoints', 'Entities', 'CIDR', 'CIDRSet'].flatMap((f) => [`from${f}`, `to${f}`]).concat(['toPorts', 'icmps']));

export function stripLabelSource(key: string): string {
  return key.replace(/^(k8s|any):/, '');
}

export function importCiliumPolicy(doc: CiliumNetworkPolicy, line: number, warnings: WarningList): ImportedPolicy[] {
  const name = doc.metadata?.name ?? 'unnamed';
  const namespace = doc.metadata?.namespace ?? 'default';
  const specs = doc.specs ?? (doc.spec ? [doc.spec] : []);
  return specs.flatMap((spec, i) => {
    const policyName = specs.length > 1 ? `${name}-${i + 1}` : name;
    const policy = importSpec(spec, policyName, namespace, line, warnings);
    return policy ? [policy] : [];
  });
}

function importSpec(spec: CiliumPolicySpec, name: string, namespace: string, line: number, warnings: WarningList): ImportedPolicy | undefined {
  const context = (what: string): string => `CiliumNetworkPolicy ${name}: ${what}`;
  if (!spec.endpointSelector) {
    warnings.add(context('only endpointSelector policies can be imported (nodeSelector selects nodes); policy skipped'), { line });
    return undefined;
  }
  const select = fromK8sSelector(spec.endpointSelector, stripLabelSource).filter((t) => !isOwnNamespaceTerm(t, namespace));
  if (select.some((t) => t.key === NAMESPACE_LABEL)) {
    // Cilium still ANDs the policy's own namespace: keep that explicit, as the language would otherwise drop it.
    select.push({ key: NAMESPACE_LABEL, operator: 'in', values: [namespace] });
  }
  const policy: ImportedPolicy = { kind: 'CiliumNetworkPolicy', name, namespace, select, line };
  for (const direction of ['ingress', 'egress'] as const) {
    const deny = direction === 'ingress' ? spec.ingressDeny : spec.egressDeny;
    if (!spec[direction]?.length && !deny?.length) continue;
    if (spec.enableDefaultDeny?.[direction] === false) {
      warnings.add(context(`enableDefaultDeny.${direction}: false cannot be expressed (a policy's block always puts its endpoints in default deny)`), { line });
    }
    policy[direction] = [
      ...(spec[direction] ?? []).flatMap((r, i) => rulesOf(r, 'allow', direction, context(`${direction} rule ${i + 1}`), line, warnings)),
      ...(deny ?? []).flatMap((r, i) => rulesOf(r, 'deny', direction, context(`${direction}Deny rule ${i + 1}`), line, warnings)),
    ];
  }
  return policy;
}

function rulesOf(rule: CiliumRule, action: RuleAction, direction: 'ingress' | 'egress', what: string, line: number, warnings: WarningList): ImportedRule[] {
  const warn = (message: string): void => warnings.add(`${what}: ${message}`, { line });
  const from = direction === 'ingress' ? 'from' : 'to';
  const unknown = Object.keys(rule ?? {}).filter((k) => !KNOWN_FIELDS.has(k));
  for (const field of unknown) warn(`${field} is not supported and is left out`);
  if (rule[`${from}Requires`] !== undefined) {
    warn(`${from}Requires narrows every peer and cannot be expressed; rule skipped`);
    return [];
  }
  const peers = peersOf(rule, from, warn);
  const hadPeers = Object.entries(rule ?? {}).some(([k, v]) => k.startsWith(from) && k !== 'toPorts' && Array.isArray(v) && v.length > 0);
  if (hadPeers && peers.length === 0) {
    warn('no peer the language can express is left; rule skipped');
    return [];
  }
  const l4: { ports: PortRule[]; http?: HttpRuleIR[] }[] = [];
  for (const entry of rule.toPorts ?? []) {
    const converted = portRuleOf(entry, action, warn);
    if (converted) l4.push(converted);
  }
  const icmps = icmpPortsOf(rule, warn);
  if (icmps.length) l4.push({ ports: icmps });
  const hadPorts = (rule.toPorts?.length ?? 0) > 0 || (rule.icmps?.length ?? 0) > 0;
  if (hadPorts && l4.length === 0) {
    warn('no port the language can express is left; rule skipped');
    return [];
  }
  // `{}` (no peer, no port) matches nothing: it only marks the direction as enforced.
  if (!hadPeers && !hadPorts) return [];
  if (l4.length === 0) return [{ action, peers, ports: [] }];
  return l4.map(({ ports, http }) => ({ action, peers, ports, ...(http && { http }) }));
}

function peersOf(rule: CiliumRule, from: 'from' | 'to', warn: (m: string) => void): Peer[] {
  const peers: Peer[] = [];
  for (const selector of (rule[`${from}Endpoints`] ?? []) as CiliumRule['fromEndpoints'] & object) {
    const terms: SelectorTerm[] = fromK8sSelector(selector, stripLabelSource);
    const reserved = terms.find((t) => t.key.includes(':'));
    if (reserved) warn(`label '${reserved.key}' (a Cilium label source) is not supported; peer left out`);
    else peers.push({ kind: 'selector', selector: { terms } });
  }
  for (const entity of (rule[`${from}Entities`] ?? []) as string[]) {
    if (ENTITIES.has(entity)) peers.push({ kind: 'entity', entity: entity as 'host' | 'world' | 'cluster' | 'all' });
    else warn(`entity '${entity}' is not supported; peer left out`);
  }
  const cidrs = [...((rule[`${from}CIDR`] ?? []) as string[]).map((cidr) => ({ cidr, except: [] as string[] })),
    ...((rule[`${from}CIDRSet`] ?? []) as { cidr?: string; except?: string[] }[])];
  for (const set of cidrs) {
    if (!set.cidr) warn('a CIDR group reference is not supported; peer left out');
    else if (set.cidr.includes(':')) warn(`IPv6 CIDR ${set.cidr} is not supported; peer left out`);
    else peers.push({ kind: 'cidr', cidr: set.cidr, except: (set.except ?? []).filter((e) => !e.includes(':')) });
  }
  return peers;
}

function portRuleOf(entry: CiliumPortRule, action: RuleAction, warn: (m: string) => void): { ports: PortRule[]; http?: HttpRuleIR[] } | undefined {
  const ports: PortRule[] = [];
  for (const p of entry.ports ?? []) {
    const protocol = (p.protocol ?? 'ANY').toLowerCase();
    if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'any') { warn(`protocol ${p.protocol} is not supported; port left out`); continue; }
    const portText = String(p.port ?? '0');
    if (!/^\d+$/.test(portText)) { warn(`named port '${portText}' cannot be resolved without pods; port left out`); continue; }
    const port: PortRule = { protocol: protocol as PortRule['protocol'] };
    if (Number(portText) !== 0) port.port = Number(portText);
    if (p.endPort !== undefined && port.port !== undefined && p.endPort !== port.port) port.endPort = p.endPort;
    ports.push(port);
  }
  if (!ports.length) return undefined;
  const rules = entry.rules ?? {};
  for (const kind of Object.keys(rules).filter((k) => k !== 'http')) warn(`L7 ${kind} rules are not supported; the port is ${action === 'allow' ? 'allowed' : 'denied'} whole`);
  if (!rules.http?.length) return { ports };
  const http: HttpRuleIR[] = [];
  for (const rule of rules.http) {
    const converted = httpRuleOf(rule);
    if (typeof converted === 'string') {
      // Dropping a constraint of an allow would widen it: skip the whole port rule instead.
      warn(`${converted}; these ports are left out`);
      return undefined;
    }
    http.push(converted);
  }
  return { ports, http };
}

function httpRuleOf(rule: CiliumHttpRule): HttpRuleIR | string {
  const extra = Object.keys(rule).filter((k) => !['method', 'path', 'headers'].includes(k));
  if (extra.length) return `HTTP ${extra.join(', ')} matching is not supported`;
  if (rule.method !== undefined && !HTTP_METHODS.has(rule.method)) return `HTTP method '${rule.method}' is not one method name`;
  const http: HttpRuleIR = { method: rule.method ?? 'ANY' };
  if (rule.path !== undefined) http.path = rule.path;
  if (rule.headers?.length) http.headers = [...rule.headers];
  return http;
}

function icmpPortsOf(rule: CiliumRule, warn: (m: string) => void): PortRule[] {
  const ports: PortRule[] = [];
  for (const field of (rule.icmps ?? []).flatMap((r) => r.fields ?? [])) {
    if ((field.family ?? 'IPv4') !== 'IPv4') { warn(`ICMP family ${field.family} is not supported; type left out`); continue; }
    const type = typeof field.type === 'number' ? field.type : /^\d+$/.test(field.type) ? Number(field.type) : ICMP_TYPES[field.type];
    if (type === undefined) warn(`ICMP type '${field.type}' is unknown; type left out`);
    else ports.push({ protocol: 'icmp', icmpType: type });
  }
  return ports;
}
