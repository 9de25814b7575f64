/**
 * The declarations of one parsed document, found by one walk of its AST and
 * kept for as long as that AST lives. An edit re-parses only the edited
 * document (the others keep their AST nodes, only their links are redone), so
 * the workspace-wide views (the catalog, the compiled bundle) rebuilt after
 * each edit walk one document instead of all of them.
 */
import { AstUtils, type AstNode } from 'langium';
import {
  isExpect, isNamespace, isPolicy, isService, isWorkload,
  type Expect, type Namespace, type Policy, type Service, type Workload,
} from './generated/ast.js';
import { namespaceOf } from './policy-namespaces.js';

export interface Declared<T> { node: T; namespace: string }

export interface DocumentDeclarations {
  /** Named workloads and services in document order (duplicate checks report the first twin). */
  endpoints: Array<Declared<Workload | Service>>;
  workloads: Array<Declared<Workload>>;
  services: Array<Declared<Service>>;
  policies: Array<Declared<Policy>>;
  /** Named namespaces (statements and blocks). */
  namespaces: Namespace[];
  expects: Expect[];
}

const byRoot = new WeakMap<AstNode, DocumentDeclarations>();

export function declarationsOf(root: AstNode): DocumentDeclarations {
  let found = byRoot.get(root);
  if (!found) {
    found = collect(root);
    byRoot.set(root, found);
  }
  return found;
}

function collect(root: AstNode): DocumentDeclarations {
  const result: DocumentDeclarations = { endpoints: [], workloads: [], services: [], policies: [], namespaces: [], expects: [] };
  for (const node of AstUtils.streamAllContents(root)) {
    if (isWorkload(node) && node.name) {
      const declared = { node, namespace: namespaceOf(node) };
      result.workloads.push(declared);
      result.endpoints.push(declared);
    } else if (isService(node) && node.name) {
      const declared = { node, namespace: namespaceOf(node) };
      result.services.push(declared);
      result.endpoints.push(declared);
    } else if (isPolicy(node) && node.name) {
      result.policies.push({ node, namespace: namespaceOf(node) });
    } else if (isNamespace(node) && node.name) {
      result.namespaces.push(node);
    } else if (isExpect(node)) {
      result.expects.push(node);
    }
  }
  return result;
}
