/**
 * Label selector semantics over the IR, the one matcher the static evaluator,
 * the validator, the hovers and the agent's policy compiler share: terms are
 * ANDed, no terms selects everything, and `notin` / `notexists` match when the
 * key is absent (Kubernetes rules).
 *
 * Workload labels carry no source, because they all come from Kubernetes. A
 * selector key may carry Cilium's source prefix: `k8s:app` and `any:app` mean
 * the label `app`. Another source (`reserved:host`, `cidr:…`) never names a
 * workload label, so such a key stays as written and matches nothing a
 * workload has.
 */
import { LabelSource, NAMESPACE_LABEL } from './labels';
import type { LabelSelector, Labels, SelectorTerm } from './policy-ir';

const WORKLOAD_SOURCES = [`${LabelSource.Kubernetes}:`, `${LabelSource.Any}:`];

/** The workload label a selector key names: `k8s:app` and `any:app` → `app`. */
export function selectorKey(key: string): string {
  for (const source of WORKLOAD_SOURCES) if (key.startsWith(source)) return key.slice(source.length);
  return key;
}

function termMatches(term: SelectorTerm, labels: Labels): boolean {
  const key = selectorKey(term.key);
  const has = Object.prototype.hasOwnProperty.call(labels, key);
  switch (term.operator) {
    case 'in': return has && term.values.includes(labels[key]!);
    case 'notin': return !has || !term.values.includes(labels[key]!);
    case 'exists': return has;
    case 'notexists': return !has;
  }
}

export function selectorMatches(selector: LabelSelector, labels: Labels): boolean {
  return selector.terms.every((term) => termMatches(term, labels));
}

/** Does the selector say which namespace it means? Otherwise it means the policy's own (as in Cilium). */
export function selectorNamesNamespace(selector: LabelSelector): boolean {
  return selector.terms.some((t) => selectorKey(t.key) === NAMESPACE_LABEL);
}

/** `app == "db" and tier in ("a", "b")`: a selector as a flow or a map entry shows it. */
export function selectorText(selector: LabelSelector): string {
  if (selector.terms.length === 0) return '(all)';
  return selector.terms.map((t) => {
    const key = selectorKey(t.key);
    const values = t.values.map((v) => `"${v}"`);
    switch (t.operator) {
      case 'in': return values.length === 1 ? `${key} == ${values[0]}` : `${key} in (${values.join(', ')})`;
      case 'notin': return values.length === 1 ? `${key} != ${values[0]}` : `${key} notin (${values.join(', ')})`;
      case 'exists': return `${key} exists`;
      case 'notexists': return `!${key} exists`;
    }
  }).join(' and ');
}
