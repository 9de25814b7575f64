/**
 * Label keys with a meaning, as Cilium spells them. The language gives every
 * workload its namespace as a label and copies the namespace's own labels onto
 * it with a prefix, so selectors, the agent and the views see plain label sets
 * and nothing of namespaces.
 */
import type { Labels } from './policy-ir';

/** Cilium's label for an endpoint's namespace; selectors get it added so a policy only selects its own namespace. */
export const NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';

/** Cilium's prefix for a namespace's labels copied onto its endpoints. */
export const NAMESPACE_LABELS_PREFIX = 'io.cilium.k8s.namespace.labels.';

/**
 * Cilium's label sources, written before the key (`k8s:app`). Workload labels
 * come from Kubernetes (`k8s`); `reserved` labels name the reserved
 * identities; `cidr` labels name CIDR identities; a selector key with `any`
 * (or none) matches a label of any source.
 */
export const LabelSource = { Kubernetes: 'k8s', Any: 'any', Reserved: 'reserved', Cidr: 'cidr' } as const;

/** A workload's labels plus its namespace label, which selectors may match on. */
export function labelsWithNamespace(namespace: string, labels: Labels): Labels {
  return { ...labels, [NAMESPACE_LABEL]: namespace };
}
