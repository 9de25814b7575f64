/**
 * The one sentence that says why a packet was decided, for the static
 * evaluator's verdicts (CLI, Test Explorer, expect diagnostics) and the
 * datapath's flow events (CLI --live, probe notifications, live expect
 * warnings, Explain Drop) alike: the verdict, the drop reason, and the rule
 * that decided or the policy whose default deny did, with where it is written.
 */
import { describeDropReason } from './drop-reasons';
import type { FlowEvent } from './flow-event';
import type { Direction, SourceLocation } from './policy-ir';

/** What decided: a static evaluator's TraceDecision is one, and so is what a flow event names. */
export type Decider =
  /** A flow event's rule may come from a cookie no bundle the agent knows has: no id, no text. */
  | { kind: 'rule'; action: 'allow' | 'deny'; ruleId?: string; text?: string; source?: SourceLocation; cookie?: number }
  | { kind: 'default-deny'; policyId?: string; direction: Direction; source?: SourceLocation }
  | { kind: 'default-allow'; direction?: Direction }
  | { kind: 'no-backend'; service: string; source?: SourceLocation }
  /** The packet belongs to a connection policy already allowed. */
  | { kind: 'conntrack'; reply: boolean }
  /** A drop that is not policy's (invalid packet, missed tail call, …). */
  | { kind: 'datapath'; dropReason: number };

export interface DecidedPacket {
  verdict: 'allowed' | 'denied' | 'forwarded' | 'dropped';
  /** Cilium's drop reason, for a drop the datapath reports. */
  dropReason?: number;
  decidedBy: Decider;
}

/** `shop.policy:12`: where a deciding line is, when the caller has no better name for the file. */
export function fileLine(source: SourceLocation): string {
  return `${source.uri.slice(source.uri.lastIndexOf('/') + 1)}:${source.range.start.line + 1}`;
}

/**
 * `dropped (Policy denied, 133) by the default deny of policy default/db-in for
 * ingress (shop.policy:12), no rule matches`. `where` names a location the way
 * the reader sees files (a CLI path, `line N` in the same document).
 */
export function decisionText({ verdict, dropReason, decidedBy: d }: DecidedPacket, where: (source: SourceLocation) => string = fileLine): string {
  const at = (source: SourceLocation | undefined): string => (source ? ` (${where(source)})` : '');
  const reason = dropReason ? ` (${describeDropReason(dropReason)}, ${dropReason})` : '';
  switch (d.kind) {
    case 'rule': {
      const named = [d.ruleId, d.text && `\`${d.text}\``].filter(Boolean).join(' ') || `with cookie ${d.cookie ?? '?'} (not in the last deployed bundle)`;
      return `${verdict}${reason} by ${d.action} rule ${named}${at(d.source)}`;
    }
    case 'default-deny':
      return `${verdict}${reason} by the default deny of ${d.policyId ? `policy ${d.policyId}` : 'a policy'} for ${d.direction}${at(d.source)}, no rule matches`;
    case 'default-allow':
      return `${verdict} by default, no policy selects ${d.direction ? `the endpoint for ${d.direction}` : 'either end'}`;
    case 'no-backend':
      return `${verdict}${reason}: service ${d.service} has no backend for it${at(d.source)}`;
    case 'conntrack':
      return `${verdict} by conntrack: ${d.reply ? 'the reply of an established connection' : 'an established connection, policy is not evaluated again'}`;
    case 'datapath':
      return `${verdict} by the datapath, not by policy: ${describeDropReason(d.dropReason)} (${d.dropReason})`;
  }
}

/** What a flow event says decided it, in the terms decisionText() speaks. */
export function flowDecision(flow: FlowEvent): DecidedPacket {
  const dropReason = flow.verdict === 'dropped' ? flow.dropReason : undefined;
  return { verdict: flow.verdict, dropReason, decidedBy: flowDecider(flow) };
}

function flowDecider(flow: FlowEvent): Decider {
  // A default deny carries the policy's cookie, a rule match the rule's (see FlowEnricher.explanation()).
  if (flow.match === 'default-deny' || (!flow.ruleId && flow.policyId)) {
    return { kind: 'default-deny', policyId: flow.policyId, direction: flow.direction, source: flow.source };
  }
  if (flow.ruleId || flow.match === 'policy') {
    return { kind: 'rule', action: flow.verdict === 'dropped' ? 'deny' : 'allow', ruleId: flow.ruleId, text: flow.ruleText, source: flow.source, cookie: flow.cookie };
  }
  if (flow.match === 'ct-established' || flow.match === 'ct-reply') return { kind: 'conntrack', reply: flow.match === 'ct-reply' };
  if (flow.verdict === 'dropped') return { kind: 'datapath', dropReason: flow.dropReason };
  return { kind: 'default-allow', direction: flow.direction };
}
