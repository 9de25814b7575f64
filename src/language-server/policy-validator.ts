/**
 * Checks that need more than the grammar. Every diagnostic carries a code in
 * `data.code` so code actions (issue 6) can switch on it.
 */
import { AstUtils, GrammarUtils, type LangiumDocuments, type ValidationAcceptor, type ValidationChecks } from 'langium';
import { importedUris } from './policy-imports.js';
import {
  isKeyTerm, isPolicy, isSelectorPeer, isService, isWorkload,
  type CidrPeer, type Expect, type LabelBlock, type Model, type PolicyAstType, type PortRule, type Rule, type Selector, type SelectorPeer,
  type Service, type Workload, type Policy,
} from './generated/ast.js';
import { ICMP_TYPES } from './icmp-types.js';
import { closest } from './policy-linker.js';
import { PolicySemanticChecks } from './policy-semantic-checks.js';
import { declarationKey } from './workload-catalog.js';
import { cidrContains, CidrError, tryParseCidr } from '../protocol/cidr.js';
import { compileSelector } from './ir-compiler.js';
import { namespaceOf } from './policy-namespaces.js';
import { selectorMatches } from '../protocol/selector-match.js';
import { IssueCode } from './issue-codes.js';
import type { PolicyServices } from './policy-module.js';
import type { WorkloadCatalog } from './workload-catalog.js';


export function registerValidationChecks(services: PolicyServices): void {
  const validator = services.validation.PolicyValidator;
  const checks: ValidationChecks<PolicyAstType> = {
    Model: [validator.checkFileNamespace, validator.checkImports],
    Workload: [validator.checkUniqueDeclaration, validator.checkReplicas, validator.checkAddress],
    Service: [validator.checkUniqueDeclaration, validator.checkService],
    Policy: validator.checkUniqueDeclaration,
    LabelBlock: validator.checkUniqueLabelKeys,
    CidrPeer: validator.checkCidr,
    PortRule: [validator.checkPort, validator.checkIcmpType],
    Rule: [validator.checkPeerKeyword, validator.checkHttp],
    Selector: validator.checkSelectorMatches,
    SelectorPeer: validator.checkSelectorMatches,
    Expect: validator.checkIcmpType,
  };
  services.validation.ValidationRegistry.register(checks, validator);
  const semantic = new PolicySemanticChecks(services);
  services.validation.ValidationRegistry.register<PolicyAstType>({
    Policy: semantic.checkShadowedRules,
    Expect: semantic.checkExpect,
  }, semantic);
}

export class PolicyValidator {
  private readonly catalog: WorkloadCatalog;
  private readonly documents: LangiumDocuments;

  constructor(services: PolicyServices) {
    this.documents = services.shared.workspace.LangiumDocuments;
    this.catalog = services.policy.WorkloadCatalog;
  }

  checkFileNamespace(model: Model, accept: ValidationAcceptor): void {
    const statements = model.namespaces.filter((ns) => !ns.hasBody);
    for (const extra of statements.slice(1)) {
      accept('error', 'A file has at most one `namespace NAME` statement; wrap further declarations in `namespace NAME { … }`.',
        { node: extra, property: 'name', data: { code: IssueCode.DuplicateFileNamespace } });
    }
  }

  checkImports(model: Model, accept: ValidationAcceptor): void {
    const document = AstUtils.getDocument(model);
    importedUris(document).forEach((uri, index) => {
      if (!this.documents.hasDocument(uri)) {
        accept('error', `'${model.imports[index]!.path}' is not a .policy file of this workspace (paths are relative to this file).`,
          { node: model.imports[index]!, property: 'path', data: { code: IssueCode.UnresolvedImport } });
      }
    });
  }

  /** Per namespace across the workspace: policy names are unique, and workload and service names together (an expect names either). */
  checkUniqueDeclaration(node: Workload | Service | Policy, accept: ValidationAcceptor): void {
    if (!node.name) return;
    const namespace = namespaceOf(node);
    const kind = isWorkload(node) ? 'workload' : isService(node) ? 'service' : 'policy';
    const twins = this.catalog.declarationsNamed(declarationKey(isPolicy(node) ? 'policy' : 'endpoint', namespace, node.name));
    const twin = twins.find((t) => t !== node);
    if (twin) {
      const other = isWorkload(twin) ? 'workload' : isService(twin) ? 'service' : 'policy';
      accept('error', other === kind ? `Duplicate ${kind} '${node.name}' in namespace '${namespace}'.`
        : `The ${kind} '${node.name}' has the name of a ${other} in namespace '${namespace}'.`,
      { node, property: 'name', data: { code: IssueCode.DuplicateName } });
    }
  }

  checkAddress(node: Workload, accept: ValidationAcceptor): void {
    if (node.address === undefined) return;
    const parsed = tryParseCidr(node.address);
    if (parsed instanceof CidrError || parsed.prefixLength !== 32) {
      accept('error', parsed instanceof CidrError ? `Invalid address: ${parsed.message}.` : `A workload address is one IPv4 address, not the prefix '${node.address}'.`,
        { node, property: 'address', data: { code: IssueCode.InvalidAddress } });
    } else if ((node.replicas ?? 1) > 1) {
      accept('error', 'A fixed address needs a single replica.', { node, property: 'address', data: { code: IssueCode.InvalidAddress } });
    }
  }

  checkService(node: Service, accept: ValidationAcceptor): void {
    const missing = [!node.vip && 'vip', !node.port && 'port', !node.selector && 'select'].filter((m): m is string => !!m);
    if (missing.length) {
      accept('error', `Service '${node.name}' needs ${missing.map((m) => `\`${m}\``).join(', ')}.`, { node, property: 'name', data: { code: IssueCode.IncompleteService } });
    }
    if (node.vip !== undefined) {
      const vip = tryParseCidr(node.vip);
      if (vip instanceof CidrError || vip.prefixLength !== 32) {
        accept('error', vip instanceof CidrError ? `Invalid VIP: ${vip.message}.` : 'A VIP is one IPv4 address, not a prefix.', { node, property: 'vip', data: { code: IssueCode.InvalidAddress } });
      }
    }
    const outOfRange = (value: number | undefined): boolean => value !== undefined && (value < 1 || value > 65535);
    if (node.port && outOfRange(node.port.port)) {
      accept('error', `Port ${node.port.port} is out of range (1-65535).`, { node: node.port, property: 'port', data: { code: IssueCode.InvalidPort } });
    }
    if (outOfRange(node.targetPort)) {
      accept('error', `Port ${node.targetPort} is out of range (1-65535).`, { node, property: 'targetPort', data: { code: IssueCode.InvalidPort } });
    }
  }

  checkIcmpType(node: PortRule | Expect, accept: ValidationAcceptor): void {
    if (node.icmpTypeName !== undefined && ICMP_TYPES[node.icmpTypeName] === undefined) {
      const suggestion = closest(node.icmpTypeName, Object.keys(ICMP_TYPES));
      accept('error', `Unknown ICMP type '${node.icmpTypeName}'.` + (suggestion ? ` Did you mean '${suggestion}'?` : ` Known: ${Object.keys(ICMP_TYPES).join(', ')}, or a number.`),
        { node, property: 'icmpTypeName', data: { code: IssueCode.UnknownIcmpType, suggestion } });
    }
    if (node.icmpType !== undefined && node.icmpType > 255) {
      accept('error', `ICMP type ${node.icmpType} is out of range (0-255).`, { node, property: 'icmpType', data: { code: IssueCode.InvalidIcmpType } });
    }
  }

  /** L7 rules are allow-lists of requests on a TCP port (Cilium's proxy has no deny for HTTP). */
  checkHttp(rule: Rule, accept: ValidationAcceptor): void {
    const block = GrammarUtils.findNodeForKeyword(rule.$cstNode, 'http');
    if (!block) return;
    if (rule.action === 'allow') {
      // Until the datapath has an L7 proxy, the editor must not let an HTTP allow-list look enforced.
      accept('warning', 'HTTP rules are not enforced by the lab datapath yet: the whole port is allowed.', { node: rule, keyword: 'http', data: { code: IssueCode.HttpNotEnforced } });
    }
    if (rule.http.length === 0) return;
    if (rule.action === 'deny') {
      accept('error', 'HTTP rules refine what an allow rule lets through; a deny rule cannot have them.', { node: rule, property: 'action', data: { code: IssueCode.HttpOnDeny } });
    } else if (rule.ports.length === 0 || rule.ports.some((p) => p.protocol !== 'tcp' || p.port === undefined)) {
      accept('error', 'HTTP rules need the rule\'s ports to be TCP ports (e.g. `to port 80/tcp http { GET "/" }`).', { node: rule, property: 'http', index: 0, data: { code: IssueCode.HttpNeedsTcp } });
    }
  }

  checkReplicas(node: Workload, accept: ValidationAcceptor): void {
    if (node.replicas !== undefined && (node.replicas < 1 || node.replicas > 16)) {
      accept('error', 'replicas must be between 1 and 16 (each replica is a network namespace in the lab).',
        { node, property: 'replicas', data: { code: IssueCode.InvalidReplicas } });
    }
  }

  checkUniqueLabelKeys(block: LabelBlock, accept: ValidationAcceptor): void {
    const seen = new Set<string>();
    for (const label of block.labels) {
      if (seen.has(label.key)) {
        accept('error', `Duplicate label key '${label.key}'.`, { node: label, property: 'key', data: { code: IssueCode.DuplicateLabel } });
      }
      seen.add(label.key);
    }
  }

  checkCidr(peer: CidrPeer, accept: ValidationAcceptor): void {
    const main = tryParseCidr(peer.cidr);
    if (main instanceof CidrError) {
      accept('error', `Invalid CIDR: ${main.message}.`, { node: peer, property: 'cidr', data: { code: IssueCode.InvalidCidr } });
    } else if (main.hostBits) {
      accept('warning', `'${peer.cidr}' has host bits set; the prefix is what matches.`, { node: peer, property: 'cidr', data: { code: IssueCode.CidrHostBits } });
    }
    peer.except.forEach((text, index) => {
      const except = tryParseCidr(text);
      if (except instanceof CidrError) {
        accept('error', `Invalid CIDR: ${except.message}.`, { node: peer, property: 'except', index, data: { code: IssueCode.InvalidCidr } });
      } else if (!(main instanceof CidrError) && !cidrContains(main, except)) {
        accept('error', `'${text}' is not inside '${peer.cidr}', so excepting it has no effect.`,
          { node: peer, property: 'except', index, data: { code: IssueCode.ExceptOutsideCidr } });
      }
    });
  }

  checkPort(port: PortRule, accept: ValidationAcceptor): void {
    for (const property of ['port', 'endPort'] as const) {
      const value = port[property];
      if (value !== undefined && (value < 1 || value > 65535)) {
        accept('error', `Port ${value} is out of range (1-65535).`, { node: port, property, data: { code: IssueCode.InvalidPort } });
      }
    }
    if (port.port !== undefined && port.endPort !== undefined && port.endPort < port.port) {
      accept('error', `Invalid port range ${port.port}-${port.endPort}: the end is below the start.`,
        { node: port, data: { code: IssueCode.InvalidPortRange } });
    }
  }

  /** `from` belongs in ingress, `to` in egress; the other word reads as the opposite of what the rule does. */
  checkPeerKeyword(rule: Rule, accept: ValidationAcceptor): void {
    if (!rule.peerKeyword) return;
    const direction = rule.$container.$type === 'IngressBlock' ? 'ingress' : 'egress';
    const expected = direction === 'ingress' ? 'from' : 'to';
    if (rule.peerKeyword !== expected) {
      accept('error', `${direction} rules name their peers with '${expected}', not '${rule.peerKeyword}'.`,
        { node: rule, property: 'peerKeyword', data: { code: IssueCode.WrongPeerKeyword } });
    }
  }

  checkSelectorMatches(selector: Selector | SelectorPeer, accept: ValidationAcceptor): void {
    const entries = this.catalog.entries();
    if (entries.length === 0) return;
    // A misspelt key or value is the likely cause; say that, on the word, instead of the whole selector.
    if (this.checkLabelWords(selector, accept)) return;
    const namespace = namespaceOf(selector);
    const ir = compileSelector(selector.terms, namespace);
    if (entries.some((e) => selectorMatches(ir, e.labels))) return;
    if (isPolicy(selector.$container)) {
      accept('warning', `Policy '${selector.$container.name}' selects no workload in namespace '${namespace}', so it has no effect.`,
        { node: selector, data: { code: IssueCode.PolicySelectsNothing } });
      return;
    }
    const where = isSelectorPeer(selector) ? 'peer selector' : 'selector';
    accept('warning', `This ${where} matches no workload in namespace '${namespace}'.`,
      { node: selector, data: { code: IssueCode.SelectorMatchesNothing } });
  }

  /** Label keys and `==`/`in` values no workload has; true when it reported one. */
  private checkLabelWords(selector: Selector | SelectorPeer, accept: ValidationAcceptor): boolean {
    const written = this.catalog.writtenLabels();
    let reported = false;
    for (const term of selector.terms) {
      if (!term.key || term.key.startsWith('io.')) continue; // reserved (namespace) labels are not written on workloads
      const values = written.get(term.key);
      if (!values) {
        const suggestion = closest(term.key, [...written.keys()]);
        accept('warning', `No workload has a label '${term.key}'.` + (suggestion ? ` Did you mean '${suggestion}'?` : ''),
          { node: term, property: 'key', data: { code: IssueCode.UnknownLabelKey, suggestion } });
        reported = true;
        continue;
      }
      if (!isKeyTerm(term) || (term.operator !== '==' && term.operator !== 'in')) continue;
      term.values.forEach((value, index) => {
        if (values.has(value)) return;
        const suggestion = closest(value, [...values]);
        accept('warning', `No workload has ${term.key}: "${value}".` + (suggestion ? ` Did you mean "${suggestion}"?` : ''),
          { node: term, property: 'values', index, data: { code: IssueCode.UnknownLabelValue, suggestion } });
        reported = true;
      });
    }
    return reported;
  }
}
