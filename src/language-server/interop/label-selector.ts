/**
 * IR selector terms ↔ Kubernetes label selectors (matchLabels/matchExpressions),
 * and the split of a selector into its namespace part and its pod part.
 *
 * The language gives every workload `io.kubernetes.pod.namespace: <ns>` and
 * its namespace's labels as `io.cilium.k8s.namespace.labels.<key>` (Cilium's
 * own labels), so namespace selection is ordinary label selection in the IR;
 * export turns it back into the target format's namespace constructs.
 */
import type { SelectorTerm } from '../../protocol/policy-ir.js';
import { NAMESPACE_LABEL, NAMESPACE_LABELS_PREFIX } from '../../protocol/labels.js';
import { selectorKey } from '../../protocol/selector-match.js';
import type { K8sLabelSelector, K8sSelectorRequirement } from './manifest-types.js';

/** The label Kubernetes (≥ 1.21) puts on every namespace: its name. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

const operatorToK8s = { in: 'In', notin: 'NotIn', exists: 'Exists', notexists: 'DoesNotExist' } as const;
const operatorFromK8s = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: 'notexists' } as const;

/** A term on the namespace label or a namespace's labels, with or without Cilium's `k8s:` source. */
export function isNamespaceTerm(term: SelectorTerm): boolean {
  const key = selectorKey(term.key);
  return key === NAMESPACE_LABEL || key.startsWith(NAMESPACE_LABELS_PREFIX);
}

/** The term the compiler adds to scope a selector to the policy's own namespace. */
export function isOwnNamespaceTerm(term: SelectorTerm, namespace: string): boolean {
  return selectorKey(term.key) === NAMESPACE_LABEL && term.operator === 'in' && term.values.length === 1 && term.values[0] === namespace;
}

/**
 * Terms → selector. Single-value `in` terms become matchLabels (one per key),
 * the rest matchExpressions; keys are sorted so the output does not depend on
 * the order terms were written in (export → import → export is stable).
 */
export function toK8sSelector(terms: SelectorTerm[], mapKey: (key: string) => string = (k) => k): K8sLabelSelector {
  const matchLabels: Record<string, string> = {};
  const matchExpressions: K8sSelectorRequirement[] = [];
  const sorted = [...terms].sort((a, b) => a.key.localeCompare(b.key) || a.operator.localeCompare(b.operator));
  for (const term of sorted) {
    const key = mapKey(term.key);
    if (term.operator === 'in' && term.values.length === 1 && !(key in matchLabels)) {
      matchLabels[key] = term.values[0]!;
      continue;
    }
    const requirement: K8sSelectorRequirement = { key, operator: operatorToK8s[term.operator] };
    if (term.operator === 'in' || term.operator === 'notin') requirement.values = [...term.values].sort();
    matchExpressions.push(requirement);
  }
  const selector: K8sLabelSelector = {};
  if (Object.keys(matchLabels).length) selector.matchLabels = matchLabels;
  if (matchExpressions.length) selector.matchExpressions = matchExpressions;
  return selector;
}

export class SelectorFormatError extends Error {}

/** Selector → terms (ANDed). Throws SelectorFormatError on an unknown operator or a malformed requirement. */
export function fromK8sSelector(selector: K8sLabelSelector | null | undefined, mapKey: (key: string) => string = (k) => k): SelectorTerm[] {
  if (!selector) return [];
  const terms: SelectorTerm[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    terms.push({ key: mapKey(key), operator: 'in', values: [String(value)] });
  }
  for (const requirement of selector.matchExpressions ?? []) {
    const operator = operatorFromK8s[requirement.operator as keyof typeof operatorFromK8s];
    if (!operator || typeof requirement.key !== 'string') {
      throw new SelectorFormatError(`unsupported selector requirement ${JSON.stringify(requirement)}`);
    }
    const values = operator === 'in' || operator === 'notin' ? (requirement.values ?? []).map(String) : [];
    if ((operator === 'in' || operator === 'notin') && values.length === 0) {
      throw new SelectorFormatError(`operator ${requirement.operator} on '${requirement.key}' needs values`);
    }
    terms.push({ key: mapKey(requirement.key), operator, values });
  }
  return terms;
}
