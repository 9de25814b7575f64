/**
 * A workload's effective labels, as the IR carries them: its own, the
 * namespace label (`io.kubernetes.pod.namespace`) and its namespace's labels
 * under Cilium's `io.cilium.k8s.namespace.labels.` prefix. Shared by the IR
 * compiler and the workload catalog (completion, selector warnings), which
 * must agree on them; neither imports the other.
 */
import { isNamespace, type Model, type Workload } from './generated/ast.js';
import { NAMESPACE_LABEL, NAMESPACE_LABELS_PREFIX } from '../protocol/labels.js';
import type { Labels } from '../protocol/policy-ir.js';

/** Labels of each namespace name, merged over all `namespace NAME { labels {…} }` blocks. */
export function collectNamespaceLabels(models: Iterable<Model>): Map<string, Labels> {
  const result = new Map<string, Labels>();
  for (const model of models) {
    for (const ns of model.namespaces) {
      if (!isNamespace(ns) || !ns.name) continue;
      const labels = result.get(ns.name) ?? {};
      for (const label of ns.labels?.labels ?? []) labels[label.key] = label.value;
      result.set(ns.name, labels);
    }
  }
  return result;
}

/** Namespace labels as comparable strings: what a cached workload's IR or labels were made from. */
export function namespaceFingerprints(namespaceLabels: Map<string, Labels>): Map<string, string> {
  return new Map([...namespaceLabels].map(([name, labels]) => [name, JSON.stringify(labels)]));
}

export function workloadLabels(node: Workload, namespace: string, namespaceLabels: Map<string, Labels>): Labels {
  const labels: Labels = {};
  for (const label of node.labels?.labels ?? []) labels[label.key] = label.value;
  labels[NAMESPACE_LABEL] = namespace;
  for (const [key, value] of Object.entries(namespaceLabels.get(namespace) ?? {})) {
    labels[NAMESPACE_LABELS_PREFIX + key] = value;
  }
  return labels;
}
