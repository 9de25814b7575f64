/**
 * Which Kubernetes-style namespace a declaration lives in, and the reserved
 * labels that carry it. Workloads and policies belong to the `namespace NAME { }`
 * block they are written in, else to the file's bodiless `namespace NAME`
 * statement, else to `default`.
 */
import { AstUtils, type AstNode } from 'langium';
import { isModel, isNamespace, type Model, type Namespace } from './generated/ast.js';

export const DEFAULT_NAMESPACE = 'default';

/** Cilium's label for an endpoint's namespace; selectors get it added so a policy only selects its own namespace. */
export const NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';
/** Cilium's prefix for namespace labels copied onto endpoints. */
export const NAMESPACE_LABELS_PREFIX = 'io.cilium.k8s.namespace.labels.';

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
