/**
 * Checks that need more than the grammar. Every diagnostic carries a code in
 * `data.code` so code actions (issue 6) can switch on it.
 */
import { AstUtils, type ValidationAcceptor, type ValidationChecks } from 'langium';
import {
  isModel, isPolicy, isSelectorPeer, isWorkload,
  type CidrPeer, type LabelBlock, type Model, type PolicyAstType, type PortRule, type Rule, type Selector, type SelectorPeer, type Workload, type Policy,
} from './generated/ast.js';
import { cidrContains, hasHostBits, parseCidr } from './cidr.js';
import { compileSelector } from './policy-compiler.js';
import { namespaceOf } from './policy-namespaces.js';
import { selectorMatches } from './selector-match.js';
import type { PolicyServices } from './policy-module.js';
import type { WorkloadCatalog } from './workload-catalog.js';

export const IssueCode = {
  DuplicateName: 'duplicate-name',
  DuplicateLabel: 'duplicate-label',
  DuplicateFileNamespace: 'duplicate-file-namespace',
  InvalidCidr: 'invalid-cidr',
  CidrHostBits: 'cidr-host-bits',
  ExceptOutsideCidr: 'except-outside-cidr',
  InvalidPort: 'invalid-port',
  InvalidPortRange: 'invalid-port-range',
  InvalidReplicas: 'invalid-replicas',
  SelectorMatchesNothing: 'selector-matches-nothing',
  WrongPeerKeyword: 'wrong-peer-keyword',
} as const;

export function registerValidationChecks(services: PolicyServices): void {
  const validator = services.validation.PolicyValidator;
  const checks: ValidationChecks<PolicyAstType> = {
    Model: validator.checkFileNamespace,
    Workload: [validator.checkUniqueDeclaration, validator.checkReplicas],
    Policy: validator.checkUniqueDeclaration,
    LabelBlock: validator.checkUniqueLabelKeys,
    CidrPeer: validator.checkCidr,
    PortRule: validator.checkPort,
    Rule: validator.checkPeerKeyword,
    Selector: validator.checkSelectorMatches,
    SelectorPeer: validator.checkSelectorMatches,
  };
  services.validation.ValidationRegistry.register(checks, validator);
}

export class PolicyValidator {
  private readonly catalog: WorkloadCatalog;
  private readonly services: PolicyServices;

  constructor(services: PolicyServices) {
    this.services = services;
    this.catalog = services.policy.WorkloadCatalog;
  }

  checkFileNamespace(model: Model, accept: ValidationAcceptor): void {
    const statements = model.namespaces.filter((ns) => !ns.hasBody);
    for (const extra of statements.slice(1)) {
      accept('error', 'A file has at most one `namespace NAME` statement; wrap further declarations in `namespace NAME { … }`.',
        { node: extra, property: 'name', data: { code: IssueCode.DuplicateFileNamespace } });
    }
  }

  /** Workloads and policies are unique per namespace across the whole workspace. */
  checkUniqueDeclaration(node: Workload | Policy, accept: ValidationAcceptor): void {
    if (!node.name) return;
    const namespace = namespaceOf(node);
    const kind = isWorkload(node) ? 'workload' : 'policy';
    const same = (other: unknown): boolean =>
      other !== node && (isWorkload(node) ? isWorkload(other) : isPolicy(other))
      && (other as Workload | Policy).name === node.name && namespaceOf(other as Workload | Policy) === namespace;
    for (const doc of this.services.shared.workspace.LangiumDocuments.all) {
      if (!isModel(doc.parseResult.value)) continue;
      const twin = AstUtils.streamAllContents(doc.parseResult.value).find(same);
      if (twin) {
        accept('error', `Duplicate ${kind} '${node.name}' in namespace '${namespace}'.`,
          { node, property: 'name', data: { code: IssueCode.DuplicateName } });
        return;
      }
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
    const main = parseCidr(peer.cidr);
    if (typeof main === 'string') {
      accept('error', `Invalid CIDR: ${main}.`, { node: peer, property: 'cidr', data: { code: IssueCode.InvalidCidr } });
    } else if (hasHostBits(main)) {
      accept('warning', `'${peer.cidr}' has host bits set; the prefix is what matches.`, { node: peer, property: 'cidr', data: { code: IssueCode.CidrHostBits } });
    }
    peer.except.forEach((text, index) => {
      const except = parseCidr(text);
      if (typeof except === 'string') {
        accept('error', `Invalid CIDR: ${except}.`, { node: peer, property: 'except', index, data: { code: IssueCode.InvalidCidr } });
      } else if (typeof main !== 'string' && !cidrContains(main, except)) {
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
    if (entries.length === 0 || selector.terms.length === 0) return;
    const namespace = namespaceOf(selector);
    const ir = compileSelector(selector.terms, namespace);
    if (entries.some((e) => selectorMatches(ir, e.labels))) return;
    const where = isSelectorPeer(selector) ? 'peer selector' : 'selector';
    accept('warning', `This ${where} matches no workload in namespace '${namespace}'.`,
      { node: selector, data: { code: IssueCode.SelectorMatchesNothing } });
  }
}
