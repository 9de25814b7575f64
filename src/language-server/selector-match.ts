/**
 * Label selector semantics over the IR, shared by the static evaluator and the
 * validator: terms are ANDed; no terms selects everything (Kubernetes rules).
 */
import type { LabelSelector, Labels, SelectorTerm } from '../protocol/policy-ir.js';

export function termMatches(term: SelectorTerm, labels: Labels): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, term.key);
  switch (term.operator) {
    case 'in': return has && term.values.includes(labels[term.key]!);
    case 'notin': return !has || !term.values.includes(labels[term.key]!);
    case 'exists': return has;
    case 'notexists': return !has;
  }
}

export function selectorMatches(selector: LabelSelector, labels: Labels): boolean {
  return selector.terms.every((term) => termMatches(term, labels));
}
