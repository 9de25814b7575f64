/**
 * Label selector matching with Kubernetes semantics (`notin` and `notexists`
 * match when the key is absent). Keys may carry Cilium's `k8s:` source prefix.
 */
import type { LabelSelector, Labels, SelectorTerm } from '../../protocol/policy-ir';
import { NAMESPACE_LABEL } from './identity-allocator';

export function plainKey(key: string): string {
  return key.startsWith('k8s:') ? key.slice(4) : key;
}

export function termMatches(term: SelectorTerm, labels: Labels): boolean {
  const key = plainKey(term.key);
  const has = Object.prototype.hasOwnProperty.call(labels, key);
  switch (term.operator) {
    case 'in': return has && term.values.includes(labels[key]!);
    case 'notin': return !has || !term.values.includes(labels[key]!);
    case 'exists': return has;
    case 'notexists': return !has;
  }
}

export function selectorMatches(selector: LabelSelector, labels: Labels): boolean {
  return selector.terms.every((t) => termMatches(t, labels));
}

/** Does the selector say which namespace it means? Otherwise it means the policy's own (as in Cilium). */
export function selectorNamesNamespace(selector: LabelSelector): boolean {
  return selector.terms.some((t) => plainKey(t.key) === NAMESPACE_LABEL);
}

/** A workload's labels plus its namespace label, which selectors may match on. */
export function labelsWithNamespace(namespace: string, labels: Labels): Labels {
  return { ...labels, [NAMESPACE_LABEL]: namespace };
}

export function selectorText(selector: LabelSelector): string {
  if (selector.terms.length === 0) return '(all)';
  return selector.terms.map((t) => {
    const key = plainKey(t.key);
    switch (t.operator) {
      case 'in': return t.values.length === 1 ? `${key} == "${t.values[0]}"` : `${key} in (${t.values.map((v) => `"${v}"`).join(', ')})`;
      case 'notin': return t.values.length === 1 ? `${key} != "${t.values[0]}"` : `${key} notin (${t.values.map((v) => `"${v}"`).join(', ')})`;
      case 'exists': return `${key} exists`;
      case 'notexists': return `!${key} exists`;
    }
  }).join(' and ');
}
