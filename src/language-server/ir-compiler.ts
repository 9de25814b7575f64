/**
 * Compiles the policy documents of a workspace to the policy IR
 * (src/protocol/policy-ir.ts), the only thing the agent receives.
 *
 * Plain TypeScript over the AST. Ids are stable (`<ns>/<policy>/<direction>/<index>`)
 * so a cookie seen in the kernel maps back to the same line after a rebuild;
 * selectors are normalised (`==` → in [v], `!=` → notin [v]) and, as in Cilium,
 * scoped to the policy's namespace by a reserved namespace label term.
 */
import { AstUtils, GrammarUtils, type AstNode, type LangiumDocument } from 'langium';
import {
  isCidrPeer, isEntityPeer, isExistsTerm, isModel, isService,
  type Expect, type HttpRule, type Model, type Peer, type Policy, type PortRule, type Rule, type Service, type Term, type Workload,
} from './generated/ast.js';
import { icmpTypeOf } from './icmp-types.js';
import { NAMESPACE_LABEL } from '../protocol/labels.js';
import { selectorNamesNamespace } from '../protocol/selector-match.js';
import { namespaceOf, qualifiedName } from './policy-namespaces.js';
import { collectNamespaceLabels, namespaceFingerprints, workloadLabels } from './workload-labels.js';
import { declarationsOf } from './document-declarations.js';
import {
  POLICY_IR_VERSION, cookieOf,
  type Direction, type ExpectIR, type LabelSelector, type Labels, type Peer as PeerIR, type PolicyBundle,
  type HttpRuleIR, type NamespaceIR, type PolicyIR, type PortRule as PortRuleIR, type RuleIR, type SelectorTerm,
  type ServiceIR, type SourceLocation, type WorkloadIR,
} from '../protocol/policy-ir.js';

export function compileBundle(documents: Iterable<LangiumDocument>): PolicyBundle {
  const docs = [...documents]
    .filter((d) => isModel(d.parseResult.value))
    .sort((a, b) => a.uri.toString().localeCompare(b.uri.toString()));
  const namespaceLabels = collectNamespaceLabels(docs.map((d) => d.parseResult.value as Model));
  const fingerprints = namespaceFingerprints(namespaceLabels);
  const namespaces: NamespaceIR[] = [];
  const services: ServiceIR[] = [];
  const bundle: PolicyBundle = { version: POLICY_IR_VERSION, workloads: [], policies: [], expects: [], namespaces, services };
  // Per type in document order, as one walk of each document would find them; the IR of
  // each declaration is cached on its AST node, so only the edited document is compiled again.
  for (const doc of docs) {
    const declared = declarationsOf(doc.parseResult.value);
    for (const { node, namespace } of declared.workloads) bundle.workloads.push(compileWorkloadCached(node, namespace, namespaceLabels, fingerprints));
    for (const { node } of declared.policies) bundle.policies.push(compilePolicy(node));
    for (const { node } of declared.services) {
      const service = compileServiceCached(node);
      if (service) services.push(service);
    }
    for (const node of declared.namespaces) {
      if (!namespaces.some((n) => n.name === node.name)) namespaces.push({ name: node.name, labels: { ...namespaceLabels.get(node.name) }, source: locationOf(node) });
    }
    for (const node of declared.expects) {
      const expect = compileExpectCached(node, bundle.expects.length);
      if (expect) bundle.expects.push(expect);
    }
  }
  return bundle;
}

/** A workload's IR, reused while its namespace's labels read the same (namespaceFingerprints). */
const compiledWorkloads = new WeakMap<Workload, { fingerprint: string; ir: WorkloadIR }>();

function compileWorkloadCached(node: Workload, namespace: string, namespaceLabels: Map<string, Labels>, fingerprints: Map<string, string>): WorkloadIR {
  const fingerprint = fingerprints.get(namespace) ?? '';
  const cached = compiledWorkloads.get(node);
  if (cached && cached.fingerprint === fingerprint) return cached.ir;
  const ir = compileWorkload(node, namespaceLabels);
  compiledWorkloads.set(node, { fingerprint, ir });
  return ir;
}

const compiledServices = new WeakMap<Service, ServiceIR | undefined>();

function compileServiceCached(node: Service): ServiceIR | undefined {
  if (!compiledServices.has(node)) compiledServices.set(node, compileService(node));
  return compiledServices.get(node);
}

/** An expect's IR depends on its text and on what its names link to (a relink may change that); its id on its position. */
const compiledExpects = new WeakMap<Expect, { from: unknown; to: unknown; ir: ExpectIR | undefined }>();

function compileExpectCached(node: Expect, index: number): ExpectIR | undefined {
  const from = node.from?.ref;
  const to = node.to?.ref;
  let cached = compiledExpects.get(node);
  if (!cached || cached.from !== from || cached.to !== to) {
    cached = { from, to, ir: compileExpect(node, index) };
    compiledExpects.set(node, cached);
  }
  const ir = cached.ir;
  if (!ir) return undefined;
  const id = `${namespaceOf(node)}/expect/${index}`;
  return ir.id === id ? ir : { ...ir, id };
}

function compileWorkload(node: Workload, namespaceLabels: Map<string, Labels>): WorkloadIR {
  const namespace = namespaceOf(node);
  return {
    name: node.name,
    namespace,
    labels: workloadLabels(node, namespace, namespaceLabels),
    replicas: node.replicas ?? 1,
    ...(node.address !== undefined ? { address: node.address.replace(/\/32$/, '') } : {}),
    source: locationOf(node),
  };
}

/** A service needs a VIP and a port; the target port defaults to the service port. */
function compileService(node: Service): ServiceIR | undefined {
  if (!node.vip || !node.port) return undefined;
  const namespace = namespaceOf(node);
  return {
    name: node.name,
    namespace,
    vip: node.vip.replace(/\/32$/, ''),
    port: node.port.port,
    protocol: node.port.protocol,
    selector: compileSelector(node.selector?.terms ?? [], namespace),
    targetPort: node.targetPort ?? node.port.port,
    source: locationOf(node),
  };
}

/**
 * A policy's IR depends only on its own document (its text and namespace), and
 * a document that did not change keeps its AST nodes: so an edit recompiles
 * only the policies of the edited file. Callers must not mutate the result.
 */
const compiledPolicies = new WeakMap<Policy, PolicyIR>();

export function compilePolicy(node: Policy): PolicyIR {
  let policy = compiledPolicies.get(node);
  if (!policy) {
    policy = compilePolicyUncached(node);
    compiledPolicies.set(node, policy);
  }
  return policy;
}

function compilePolicyUncached(node: Policy): PolicyIR {
  const namespace = namespaceOf(node);
  const id = `${namespace}/${node.name}`;
  const policy: PolicyIR = {
    id,
    cookie: cookieOf(id),
    name: node.name,
    namespace,
    selector: compileSelector(node.selector?.terms ?? [], namespace),
    source: locationOf(node),
    selectSource: selectLocation(node),
  };
  // A present block, even empty, puts the selected endpoints in default-deny.
  if (node.ingress.length > 0) policy.ingress = compileRules(node, 'ingress', node.ingress.flatMap((b) => b.rules), namespace);
  if (node.egress.length > 0) policy.egress = compileRules(node, 'egress', node.egress.flatMap((b) => b.rules), namespace);
  return policy;
}

function compileRules(policy: Policy, direction: Direction, rules: Rule[], namespace: string): RuleIR[] {
  return rules.map((rule, index) => {
    const id = `${namespace}/${policy.name}/${direction}/${index}`;
    return {
      id,
      cookie: cookieOf(id),
      action: rule.action,
      direction,
      peers: rule.peers.map((peer) => compilePeer(peer, namespace)),
      ports: rule.ports.map(compilePort),
      ...(rule.http.length ? { http: rule.http.map(compileHttp) } : {}),
      text: textOf(rule),
      source: locationOf(rule),
    };
  });
}

function compilePeer(peer: Peer, namespace: string): PeerIR {
  if (isEntityPeer(peer)) return { kind: 'entity', entity: peer.entity };
  if (isCidrPeer(peer)) return { kind: 'cidr', cidr: peer.cidr, except: [...peer.except] };
  return { kind: 'selector', selector: compileSelector(peer.terms, namespace) };
}

function compilePort(port: PortRule): PortRuleIR {
  const rule: PortRuleIR = { protocol: port.protocol };
  if (port.port !== undefined) rule.port = port.port;
  if (port.endPort !== undefined) rule.endPort = port.endPort;
  const icmpType = icmpTypeOf(port);
  if (icmpType !== undefined) rule.icmpType = icmpType;
  return rule;
}

function compileHttp(rule: HttpRule): HttpRuleIR {
  const http: HttpRuleIR = {};
  if (rule.method !== 'ANY') http.method = rule.method;
  if (rule.path !== undefined) http.path = rule.path;
  if (rule.headers.length) http.headers = [...rule.headers];
  return http;
}

/** Normalised selector; without an explicit namespace term it only matches the policy's own namespace. */
export function compileSelector(terms: Term[], namespace: string | undefined): LabelSelector {
  const result: SelectorTerm[] = terms.map(compileTerm);
  if (namespace !== undefined && !selectorNamesNamespace({ terms: result })) {
    result.push({ key: NAMESPACE_LABEL, operator: 'in', values: [namespace] });
  }
  return { terms: result };
}

function compileTerm(term: Term): SelectorTerm {
  // A term being typed may have no key yet (the parser recovered): the IR's key is still a string.
  const key = term.key ?? '';
  if (isExistsTerm(term) || term.operator === 'exists') {
    return { key, operator: term.negated ? 'notexists' : 'exists', values: [] };
  }
  switch (term.operator) {
    case '==': return { key, operator: 'in', values: [...term.values] };
    case '!=': return { key, operator: 'notin', values: [...term.values] };
    default: return { key, operator: term.operator, values: [...term.values] };
  }
}

/** `service:<name>` for a service, `cidr:<a.b.c.d/n>` for an outside address, else the workload. */
export function expectTarget(node: Expect): string | undefined {
  if (node.toCidr !== undefined) return `cidr:${node.toCidr.includes('/') ? node.toCidr : `${node.toCidr}/32`}`;
  const to = node.to?.ref;
  if (!to) return undefined;
  const name = qualifiedName(namespaceOf(to), to.name);
  return isService(to) ? `service:${name}` : name;
}

export function compileExpect(node: Expect, index: number): ExpectIR | undefined {
  const from = node.from?.ref;
  const to = expectTarget(node);
  if (!from || !to) return undefined;
  const namespace = namespaceOf(node);
  const expect: ExpectIR = {
    id: `${namespace}/expect/${index}`,
    from: qualifiedName(namespaceOf(from), from.name),
    to,
    protocol: node.protocol,
    verdict: node.verdict,
    text: textOf(node),
    source: locationOf(node),
  };
  if (node.port !== undefined) expect.port = node.port;
  const icmpType = icmpTypeOf(node);
  if (icmpType !== undefined) expect.icmpType = icmpType;
  return expect;
}

export function locationOf(node: AstNode): SourceLocation {
  const uri = AstUtils.getDocument(node).uri.toString();
  const range = node.$cstNode?.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  return { uri, range: { start: { ...range.start }, end: { ...range.end } } };
}

/** From the `select` keyword to the end of the selector: where a default deny is explained. */
function selectLocation(node: Policy): SourceLocation {
  const location = locationOf(node);
  const keyword = node.$cstNode ? GrammarUtils.findNodeForKeyword(node.$cstNode, 'select') : undefined;
  const end = node.selector?.$cstNode?.range.end ?? keyword?.range.end;
  if (keyword && end) location.range = { start: { ...keyword.range.start }, end: { ...end } };
  return location;
}

/** The node's source text on one line, for flow rows, hovers and CLI output. */
export function textOf(node: AstNode): string {
  // Strings are matched first so a `//` inside quotes is not taken for a comment.
  return (node.$cstNode?.text ?? '')
    .replace(/("(?:\\.|[^"\\])*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (_m, str?: string) => str ?? ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
