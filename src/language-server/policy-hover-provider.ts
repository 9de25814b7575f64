/**
 * Hover: for a selector, the workloads it matches; for a workload, its
 * effective labels, the policies that select it (whole workspace) and its
 * effective ingress and egress; for a rule, what it does; for a service, its
 * backends; for an expect, the evaluator's reasoning.
 */
import { AstUtils, CstUtils, type AstNode, type LangiumDocument, type MaybePromise } from 'langium';
import { AstNodeHoverProvider, type LangiumServices } from 'langium/lsp';
import type { Hover, HoverParams } from 'vscode-languageserver';
import {
  isExpect, isRule, isSelector, isSelectorPeer, isService, isWorkload, type Expect, type Rule, type Selector, type SelectorPeer, type Service, type Workload,
} from './generated/ast.js';
import { compileExpect, compileSelector, textOf } from './ir-compiler.js';
import { trace, type TraceProtocol } from './evaluator.js';
import type { Direction, PolicyIR } from '../protocol/policy-ir.js';
import type { WorkspaceBundle } from './workspace-bundle.js';
import { namespaceOf, qualifiedName } from './policy-namespaces.js';
import { selectorMatches } from '../protocol/selector-match.js';
import type { PolicyServices } from './policy-module.js';
import type { WorkloadCatalog } from './workload-catalog.js';

export class PolicyHoverProvider extends AstNodeHoverProvider {
  private readonly catalog: WorkloadCatalog;
  private readonly bundle: WorkspaceBundle;

  constructor(services: PolicyServices) {
    super(services as unknown as LangiumServices);
    this.catalog = services.policy.WorkloadCatalog;
    this.bundle = services.policy.WorkspaceBundle;
  }

  /** Hover anywhere inside a selector, rule or workload, not only on a declared name. */
  override async getHoverContent(document: LangiumDocument, params: HoverParams): Promise<Hover | undefined> {
    const root = document.parseResult.value.$cstNode;
    const offset = document.textDocument.offsetAt(params.position);
    const leaf = root ? CstUtils.findLeafNodeAtOffset(root, offset) : undefined;
    if (leaf) {
      const node = AstUtils.getContainerOfType(leaf.astNode, (n): n is AstNode => isSelector(n) || isSelectorPeer(n) || isRule(n) || isWorkload(n) || isService(n) || isExpect(n));
      const content = node ? await this.getAstNodeHoverContent(node) : undefined;
      if (content) return { contents: { kind: 'markdown', value: content } };
    }
    return super.getHoverContent(document, params);
  }

  protected getAstNodeHoverContent(node: AstNode): MaybePromise<string | undefined> {
    if (isSelector(node) || isSelectorPeer(node)) return this.describeSelector(node);
    if (isRule(node)) return this.describeRule(node);
    if (isWorkload(node)) return this.describeWorkload(node);
    if (isService(node)) return this.describeService(node);
    if (isExpect(node)) return this.describeExpect(node);
    return undefined;
  }

  private matching(selector: Selector | SelectorPeer): string[] {
    const ir = compileSelector(selector.terms, namespaceOf(selector));
    return this.catalog.entries().filter((e) => selectorMatches(ir, e.labels)).map((e) => qualifiedName(e.namespace, e.name));
  }

  private describeSelector(selector: Selector | SelectorPeer): string {
    const names = this.matching(selector);
    return names.length ? `Matches ${names.map((n) => `\`${n}\``).join(', ')}` : 'Matches no workload';
  }

  private describeRule(rule: Rule): string {
    const direction = rule.$container.$type === 'IngressBlock' ? 'into' : 'out of';
    const policy = rule.$container.$container;
    const selected = policy.selector ? this.matching(policy.selector) : [];
    const peers = rule.peers.length ? rule.peers.map((p) => isSelectorPeer(p) ? `${textOf(p)} (${this.matching(p).join(', ') || 'no workload'})` : textOf(p)).join(' or ') : 'any peer';
    const ports = rule.ports.length ? rule.ports.map(textOf).join(', ') : 'any port';
    const verb = rule.action === 'allow' ? 'Allows' : 'Denies (wins over any allow)';
    // The lab datapath has no L7 proxy yet: say what the rule lists, not that only those requests pass.
    const http = rule.http.length ? ` HTTP requests listed: ${rule.http.map(textOf).join('; ')}; not enforced by the lab datapath yet: the whole port is allowed.` : '';
    return `${verb} traffic ${direction} ${selected.join(', ') || 'no workload'} ${rule.$container.$type === 'IngressBlock' ? 'from' : 'to'} ${peers} on ${ports}.${http}`;
  }

  private describeWorkload(workload: Workload): string {
    const entry = this.catalog.entries().find((e) => e.node === workload);
    if (!entry) return '';
    const labels = Object.entries(entry.labels).map(([k, v]) => `\`${k}=${v}\``).join(', ');
    const bundle = this.bundle.get();
    const selecting = bundle.policies.filter((p) => selectorMatches(p.selector, entry.labels));
    const lines = [`Workload \`${qualifiedName(entry.namespace, entry.name)}\``, `Labels: ${labels}`,
      `Selected by: ${selecting.map((p) => `\`${p.id}\``).join(', ') || 'no policy'}`];
    for (const direction of ['ingress', 'egress'] as const) lines.push(effective(direction, selecting));
    return lines.join('\n\n');
  }

  private describeService(service: Service): string {
    const backends = service.selector ? this.matching(service.selector) : [];
    return `Service \`${service.name}\`: ${service.vip ?? '?'}:${service.port ? `${service.port.port}/${service.port.protocol}` : '?'}`
      + ` → ${backends.map((b) => `\`${b}\``).join(', ') || 'no backend'} on port ${service.targetPort ?? service.port?.port ?? '?'}`;
  }

  private describeExpect(node: Expect): string | undefined {
    const expect = compileExpect(node, 0);
    if (!expect) return undefined;
    try {
      const result = trace(this.bundle.get(), expect.from, expect.to, expect.port, expect.protocol as TraceProtocol, expect.icmpType);
      const ok = result.verdict === expect.verdict ? 'passes' : 'FAILS';
      return `Statically **${result.verdict}** (expect ${ok}).\n\n${result.steps.map((s) => `- ${s}`).join('\n')}`;
    } catch {
      return undefined;
    }
  }
}

/** `Ingress: default allow` or `Ingress: default deny; allows …; denies …`. */
function effective(direction: Direction, selecting: PolicyIR[]): string {
  const title = direction === 'ingress' ? 'Ingress' : 'Egress';
  const enforcing = selecting.filter((p) => p[direction] !== undefined);
  if (enforcing.length === 0) return `${title}: default allow (no policy has an ${direction} block for it)`;
  const rules = enforcing.flatMap((p) => p[direction]!);
  const list = (action: 'allow' | 'deny'): string => rules.filter((r) => r.action === action).map((r) => `\`${r.text}\``).join(', ');
  const allows = list('allow');
  const denies = list('deny');
  return `${title}: default deny${allows ? `; allows ${allows}` : '; nothing allowed'}${denies ? `; denies ${denies}` : ''}`;
}
