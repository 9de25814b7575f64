/**
 * Hover: for a selector, the workloads it matches; for a workload, its
 * effective labels and the policies that select it; for a rule, what it does.
 */
import { AstUtils, CstUtils, type AstNode, type LangiumDocument, type MaybePromise } from 'langium';
import { AstNodeHoverProvider, type LangiumServices } from 'langium/lsp';
import type { Hover, HoverParams } from 'vscode-languageserver';
import { isPolicy, isRule, isSelector, isSelectorPeer, isWorkload, type Rule, type Selector, type SelectorPeer, type Workload } from './generated/ast.js';
import { compileSelector, textOf } from './policy-compiler.js';
import { namespaceOf, qualifiedName } from './policy-namespaces.js';
import { selectorMatches } from './selector-match.js';
import type { PolicyServices } from './policy-module.js';
import type { WorkloadCatalog } from './workload-catalog.js';

export class PolicyHoverProvider extends AstNodeHoverProvider {
  private readonly catalog: WorkloadCatalog;

  constructor(services: PolicyServices) {
    super(services as unknown as LangiumServices);
    this.catalog = services.policy.WorkloadCatalog;
  }

  /** Hover anywhere inside a selector, rule or workload, not only on a declared name. */
  override async getHoverContent(document: LangiumDocument, params: HoverParams): Promise<Hover | undefined> {
    const root = document.parseResult.value.$cstNode;
    const offset = document.textDocument.offsetAt(params.position);
    const leaf = root ? CstUtils.findLeafNodeAtOffset(root, offset) : undefined;
    if (leaf) {
      const node = AstUtils.getContainerOfType(leaf.astNode, (n): n is AstNode => isSelector(n) || isSelectorPeer(n) || isRule(n) || isWorkload(n));
      const content = node ? await this.getAstNodeHoverContent(node) : undefined;
      if (content) return { contents: { kind: 'markdown', value: content } };
    }
    return super.getHoverContent(document, params);
  }

  protected getAstNodeHoverContent(node: AstNode): MaybePromise<string | undefined> {
    if (isSelector(node) || isSelectorPeer(node)) return this.describeSelector(node);
    if (isRule(node)) return this.describeRule(node);
    if (isWorkload(node)) return this.describeWorkload(node);
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
    return `${verb} traffic ${direction} ${selected.join(', ') || 'no workload'} ${rule.$container.$type === 'IngressBlock' ? 'from' : 'to'} ${peers} on ${ports}.`;
  }

  private describeWorkload(workload: Workload): string {
    const entry = this.catalog.entries().find((e) => e.node === workload);
    if (!entry) return '';
    const labels = Object.entries(entry.labels).map(([k, v]) => `\`${k}=${v}\``).join(', ');
    const policies = AstUtils.streamAst(workload.$container.$type === 'Namespace' ? workload.$container.$container : workload.$container)
      .filter(isPolicy)
      .filter((p) => p.selector !== undefined && selectorMatches(compileSelector(p.selector.terms, namespaceOf(p)), entry.labels))
      .map((p) => `\`${p.name}\``)
      .toArray();
    return `Workload \`${qualifiedName(entry.namespace, entry.name)}\`\n\nLabels: ${labels}\n\nSelected by (this file): ${policies.join(', ') || 'no policy (default allow)'}`;
  }
}
