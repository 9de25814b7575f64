/**
 * Which Kubernetes-style namespace a declaration lives in (the labels that
 * carry it are in src/protocol/labels.ts). Workloads and policies belong to the `namespace NAME { }`
 * block they are written in, else to the file's bodiless `namespace NAME`
 * statement, else to `default`.
 */
import { AstUtils, type AstNode } from 'langium';
import { isModel, isNamespace, type Model, type Namespace } from './generated/ast.js';

export const DEFAULT_NAMESPACE = 'default';

/** The bodiless `namespace NAME` statement of a file, if any. */
export function fileNamespace(model: Model): Namespace | undefined {
  return model.namespaces.find((ns) => !ns.hasBody);
}

export function namespaceNodeOf(node: AstNode): Namespace | undefined {
  const block = AstUtils.getContainerOfType(node, isNamespace);
  if (block) return block;
  const model = AstUtils.getContainerOfType(node, isModel);
  return model ? fileNamespace(model) : undefined;
}

export function namespaceOf(node: AstNode): string {
  return namespaceNodeOf(node)?.name ?? DEFAULT_NAMESPACE;
}

/** `frontend` in `default`, `shop/frontend` elsewhere: how expects and probes name a workload. */
export function qualifiedName(namespace: string, name: string): string {
  return namespace === DEFAULT_NAMESPACE ? name : `${namespace}/${name}`;
}
