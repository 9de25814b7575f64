/**
 * The differential test's second question: not only whether a probe passes,
 * but which rule decided it. The evaluator names a rule (or the policy of a
 * default deny); the datapath's flow event names one by cookie.
 *
 * When several rules of the deciding action match the packet at the deciding
 * endpoint, the evaluator names the first in source order while the
 * datapath's map holds the most specific entry (longest port prefix, exact
 * identity before the wildcard). Then the kernel's cookie must be one of
 * those rules, and the case counts as ambiguous instead of exact. The other
 * matching rules come from the evaluator itself: trace again without the rule
 * it named, until the decision changes.
 */
import type { FlowEvent } from '../../../src/protocol/flow-event';
import type { PolicyBundle, RuleIR } from '../../../src/protocol/policy-ir';
import type { Decision, TraceResult } from '../../../src/language-server/evaluator';

/** The evaluator's trace for one probe, on any bundle. */
export type TraceOf = (bundle: PolicyBundle) => TraceResult;

export interface DecisionCheck {
  /** Why the kernel's event does not name the evaluator's decision; undefined when it does. */
  mismatch?: string;
  /** More than one rule of the deciding action matched: the kernel named one of them. */
  ambiguous: boolean;
}

function describeFlow(flow: FlowEvent): string {
  const named = flow.ruleId ?? flow.policyId;
  return `${flow.verdict} by ${flow.match} ${flow.direction} cookie 0x${flow.cookie.toString(16)}${named ? ` (${named})` : ''}`;
}

function findRule(bundle: PolicyBundle, id: string): RuleIR {
  for (const p of bundle.policies) for (const r of [...(p.ingress ?? []), ...(p.egress ?? [])]) if (r.id === id) return r;
  throw new Error(`the evaluator named rule ${id}, which the bundle does not have`);
}

function withoutRule(bundle: PolicyBundle, id: string): PolicyBundle {
  return {
    ...bundle,
    policies: bundle.policies.map((p) => ({
      ...p,
      ...(p.ingress ? { ingress: p.ingress.filter((r) => r.id !== id) } : {}),
      ...(p.egress ? { egress: p.egress.filter((r) => r.id !== id) } : {}),
    })),
  };
}

/** The rule the evaluator names, then every other rule that would decide the same way in its place. */
function equallyDecidingRules(bundle: PolicyBundle, traceOf: TraceOf, decision: Decision & { kind: 'rule' }): RuleIR[] {
  const rules: RuleIR[] = [];
  let current = bundle;
  let d: Decision = decision;
  while (d.kind === 'rule' && d.action === decision.action && d.direction === decision.direction) {
    rules.push(findRule(bundle, d.ruleId));
    current = withoutRule(current, d.ruleId);
    d = traceOf(current).decidedBy;
  }
  return rules;
}

export function checkDecision(bundle: PolicyBundle, traceOf: TraceOf, decision: Decision, flow: FlowEvent | undefined): DecisionCheck {
  if (!flow) return { mismatch: 'the kernel reported no flow event', ambiguous: false };
  const got = describeFlow(flow);
  switch (decision.kind) {
    case 'default-allow':
      return flow.match === 'default-allow' ? { ambiguous: false } : { mismatch: `evaluator: default allow; kernel: ${got}`, ambiguous: false };
    case 'default-deny': {
      const policy = bundle.policies.find((p) => p.id === decision.policyId)!;
      const same = flow.match === 'default-deny' && flow.direction === decision.direction && flow.cookie === policy.cookie;
      return same ? { ambiguous: false } : { mismatch: `evaluator: default deny ${decision.direction} by ${policy.id} (cookie 0x${policy.cookie.toString(16)}); kernel: ${got}`, ambiguous: false };
    }
    case 'rule': {
      const rules = equallyDecidingRules(bundle, traceOf, decision);
      const same = flow.match === 'policy' && flow.direction === decision.direction && rules.some((r) => r.cookie === flow.cookie);
      if (same) return { ambiguous: rules.length > 1 };
      const others = rules.length > 1 ? ` (or one of the other matching ${decision.action} rules ${rules.slice(1).map((r) => r.id).join(', ')})` : '';
      return { mismatch: `evaluator: ${decision.direction} ${decision.action} rule ${decision.ruleId} (cookie 0x${rules[0]!.cookie.toString(16)})${others}; kernel: ${got}`, ambiguous: false };
    }
    case 'no-backend':
      return { mismatch: 'the differential test probes no services', ambiguous: false };
  }
}
