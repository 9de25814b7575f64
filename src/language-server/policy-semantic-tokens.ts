/**
 * Semantic tokens: declared names and references by kind (workload, service,
 * policy, namespace), label keys as properties, entities and verdicts as enum
 * members, addresses and ports as numbers, HTTP methods as methods. TextMate
 * colours keywords; this tells apart what only the parser knows.
 */
import type { AstNode } from 'langium';
import { AbstractSemanticTokenProvider, type SemanticTokenAcceptor } from 'langium/lsp';
import { SemanticTokenModifiers, SemanticTokenTypes } from 'vscode-languageserver';
import * as ast from './generated/ast.js';

export class PolicySemanticTokenProvider extends AbstractSemanticTokenProvider {
  protected highlightElement(node: AstNode, accept: SemanticTokenAcceptor): void {
    const declaration = SemanticTokenModifiers.declaration;
    if (ast.isWorkload(node)) {
      accept({ node, property: 'name', type: SemanticTokenTypes.class, modifier: declaration });
      if (node.address) accept({ node, property: 'address', type: SemanticTokenTypes.number });
    } else if (ast.isService(node)) {
      accept({ node, property: 'name', type: SemanticTokenTypes.interface, modifier: declaration });
      if (node.vip) accept({ node, property: 'vip', type: SemanticTokenTypes.number });
    } else if (ast.isPolicy(node)) {
      accept({ node, property: 'name', type: SemanticTokenTypes.function, modifier: declaration });
    } else if (ast.isNamespace(node)) {
      accept({ node, property: 'name', type: SemanticTokenTypes.namespace, modifier: declaration });
    } else if (ast.isLabel(node) || ast.isKeyTerm(node) || ast.isExistsTerm(node)) {
      accept({ node, property: 'key', type: SemanticTokenTypes.property });
    } else if (ast.isEntityPeer(node)) {
      accept({ node, property: 'entity', type: SemanticTokenTypes.enumMember });
    } else if (ast.isCidrPeer(node)) {
      accept({ node, property: 'cidr', type: SemanticTokenTypes.number });
      node.except.forEach((_e, index) => accept({ node, property: 'except', index, type: SemanticTokenTypes.number }));
    } else if (ast.isHttpRule(node)) {
      accept({ node, property: 'method', type: SemanticTokenTypes.method });
      if (node.path !== undefined) accept({ node, property: 'path', type: SemanticTokenTypes.regexp });
    } else if (ast.isExpect(node)) {
      if (node.from) accept({ node, property: 'from', type: SemanticTokenTypes.class });
      if (node.to) accept({ node, property: 'to', type: ast.isService(node.to.ref) ? SemanticTokenTypes.interface : SemanticTokenTypes.class });
      if (node.toCidr) accept({ node, property: 'toCidr', type: SemanticTokenTypes.number });
      accept({ node, property: 'verdict', type: SemanticTokenTypes.enumMember });
    }
  }
}
