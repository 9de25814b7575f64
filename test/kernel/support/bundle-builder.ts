/**
 * Policy IR written by hand the way the language server's compiler writes it
 * (src/language-server/ir-compiler.ts): workloads carry the namespace
 * label, selectors get the namespace term unless they name it, rule ids are
 * `<ns>/<policy>/<direction>/<index>` with their FNV cookies. Tests that drive
 * the agent directly use this instead of parsing policy text.
 */
import {
  cookieOf, POLICY_IR_VERSION,
  type Direction, type Labels, type LabelSelector, type Peer, type PolicyBundle, type PolicyIR, type PortRule, type RuleIR, type SelectorTerm, type SourceLocation, type WorkloadIR,
} from '../../../src/protocol/policy-ir';
import { NAMESPACE_LABEL } from '../../../src/protocol/labels';

export { NAMESPACE_LABEL };
export const NS = 'default';

export const at = (line: number): SourceLocation => ({ uri: 'file:///test/generated.policy', range: { start: { line, character: 0 }, end: { line, character: 20 } } });

export function workload(name: string, labels: Labels, replicas = 1, namespace = NS): WorkloadIR {
  return { name, namespace, labels: { ...labels, [NAMESPACE_LABEL]: namespace }, replicas, source: at(0) };
}

/** lab/apply's workloads of a bundle, as the client sends them. */
export { labWorkloads } from '../../../src/client/policy-patch';

/** A selector as the compiler emits it: the terms, plus the policy's namespace unless a term names one. */
export function selector(terms: SelectorTerm[], namespace = NS): LabelSelector {
  return { terms: terms.some((t) => t.key === NAMESPACE_LABEL) ? terms : [...terms, { key: NAMESPACE_LABEL, operator: 'in', values: [namespace] }] };
}

export const eq = (key: string, value: string): SelectorTerm => ({ key, operator: 'in', values: [value] });
export const peerOf = (...terms: SelectorTerm[]): Peer => ({ kind: 'selector', selector: selector(terms) });

export interface RuleSpec { action: 'allow' | 'deny'; peers: Peer[]; ports: PortRule[]; text?: string }

export function policy(name: string, select: SelectorTerm[], blocks: { ingress?: RuleSpec[]; egress?: RuleSpec[] }, namespace = NS): PolicyIR {
  const id = `${namespace}/${name}`;
  const rules = (direction: Direction, specs: RuleSpec[]): RuleIR[] => specs.map((s, index) => {
    const ruleId = `${id}/${direction}/${index}`;
    return {
      id: ruleId, cookie: cookieOf(ruleId), action: s.action, direction, peers: s.peers, ports: s.ports,
      text: s.text ?? `${s.action} rule ${index}`, source: at(10 + index),
    };
  });
  const p: PolicyIR = {
    id, cookie: cookieOf(id), name, namespace, selector: selector(select, namespace), source: at(1), selectSource: at(2),
  };
  if (blocks.ingress) p.ingress = rules('ingress', blocks.ingress);
  if (blocks.egress) p.egress = rules('egress', blocks.egress);
  return p;
}

export function bundle(workloads: WorkloadIR[], policies: PolicyIR[]): PolicyBundle {
  return { version: POLICY_IR_VERSION, workloads, policies, expects: [] };
}
