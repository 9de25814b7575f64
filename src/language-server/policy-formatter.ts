/**
 * Formatting: one declaration per line at the top (blank lines between them
 * kept); policies, services and namespaces with bodies are
 * indented blocks with one rule or property per line; workloads, rules and
 * expects stay on one line with single spaces (`9000-9100/tcp`, `a -> b:80/tcp`
 * and `!exists` are tight). Formatting twice changes nothing.
 */
import { CstUtils, isLeafCstNode, type AstNode } from 'langium';
import { AbstractFormatter, Formatting, type NodeFormatter } from 'langium/lsp';
import * as ast from './generated/ast.js';

/** A new line, keeping the blank lines written between declarations. */
const declarationBreak = Formatting.newLine({ allowMore: true });

export class PolicyFormatter extends AbstractFormatter {
  protected format(node: AstNode): void {
    const f = this.getNodeFormatter(node);
    if (ast.isModel(node)) {
      f.nodes(...node.imports, ...node.namespaces, ...node.declarations).slice(1).prepend(declarationBreak);
      f.nodes(...node.imports, ...node.namespaces, ...node.declarations).slice(0, 1).prepend(Formatting.noIndent());
    } else if (ast.isNamespace(node)) {
      this.block(f, node.hasBody);
    } else if (ast.isPolicy(node)) {
      this.braces(f);
      f.keyword('select').prepend(Formatting.indent({ allowMore: true }));
      f.nodes(...node.ingress, ...node.egress).prepend(Formatting.indent({ allowMore: true }));
    } else if (ast.isService(node)) {
      this.braces(f);
      // Each property starts a line: `vip`, `port` (not the one of `target port`), `select`, `target`.
      const leaves = node.$cstNode ? CstUtils.streamCst(node.$cstNode).filter((c) => isLeafCstNode(c) && !c.hidden && c.astNode === node).toArray() : [];
      const starts = leaves.filter((c, i) => ['vip', 'select', 'target'].includes(c.text) || (c.text === 'port' && leaves[i - 1]?.text !== 'target'));
      f.cst(starts).prepend(Formatting.indent({ allowMore: true }));
    } else if (ast.isIngressBlock(node) || ast.isEgressBlock(node)) {
      this.block(f, true);
    } else if (ast.isWorkload(node)) {
      this.inlineBraces(f);
    } else if (ast.isLabelBlock(node)) {
      // Labels are separated by commas (formatted below), so only the braces get spaces.
      f.keyword('{').prepend(Formatting.oneSpace()).append(node.labels.length ? Formatting.oneSpace() : Formatting.noSpace());
      if (node.labels.length) f.keyword('}').prepend(Formatting.oneSpace());
    } else if (ast.isRule(node)) {
      f.property('action').append(Formatting.oneSpace());
      f.keywords('to', 'port', 'ports', 'or', 'http').prepend(Formatting.oneSpace());
      if (node.http.length) {
        const open = f.keyword('{');
        const close = f.keyword('}');
        open.prepend(Formatting.oneSpace());
        f.interior(open, close).prepend(Formatting.indent());
        close.prepend(Formatting.newLine());
      }
    } else if (ast.isExpect(node)) {
      f.keyword('->').surround(Formatting.oneSpace());
      f.keyword(':').surround(Formatting.noSpace());
    } else if (ast.isPortRule(node) || ast.isServicePort(node)) {
      f.keywords('/', '-').surround(Formatting.noSpace());
    } else if (ast.isKeyTerm(node) || ast.isExistsTerm(node)) {
      f.keywords('==', '!=', 'in', 'notin').surround(Formatting.oneSpace());
      f.keyword('(').append(Formatting.noSpace());
      f.keyword('!').append(Formatting.noSpace());
      f.keyword(')').prepend(Formatting.noSpace());
    } else if (ast.isLabel(node)) {
      f.keyword(':').prepend(Formatting.noSpace()).append(Formatting.oneSpace());
    }
    if (ast.isWorkload(node) || ast.isPolicy(node) || ast.isService(node) || ast.isNamespace(node)) f.property('name').prepend(Formatting.oneSpace());
    f.keywords(',').prepend(Formatting.noSpace()).append(Formatting.oneSpace());
  }

  /** `NAME {` … `}` with the closing brace on its own line; the caller indents the children. */
  private braces(f: NodeFormatter<AstNode>): void {
    f.keyword('{').prepend(Formatting.oneSpace());
    f.keyword('}').prepend(Formatting.newLine());
  }

  /** `NAME {` then one child per line, indented, and `}` on its own line. */
  private block(f: NodeFormatter<AstNode>, hasBody: boolean): void {
    if (!hasBody) return;
    const open = f.keyword('{');
    const close = f.keyword('}');
    open.prepend(Formatting.oneSpace());
    f.interior(open, close).prepend(Formatting.indent({ allowMore: true }));
    close.prepend(Formatting.newLine());
  }

  /** `{ a b }` on one line, `{}` when empty. */
  private inlineBraces(f: NodeFormatter<AstNode>): void {
    const open = f.keyword('{');
    const close = f.keyword('}');
    const inside = f.interior(open, close);
    open.prepend(Formatting.oneSpace());
    inside.prepend(Formatting.oneSpace());
    close.prepend(inside.nodes.length ? Formatting.oneSpace() : Formatting.noSpace());
  }
}
