/**
 * Explain Drop, as data: both ends with their identities and labels, the
 * datapath's own verdict, the static evaluator's steps and the deciding line,
 * and the allow rule that would let the flow through. Pure logic; the view
 * renders it and the integration test asserts on it.
 */
import type { EndpointState } from '../../protocol/agent-rpc';
import { decisionText, flowDecision } from '../../protocol/decision-text';
import type { FlowEndpoint, FlowEvent } from '../../protocol/flow-event';
import { reservedIdentityLabels, reservedIdentityName } from '../../protocol/identities';
import type { TraceResponse } from '../../protocol/language-rpc';
import type { DropExplanation, ExplainedEnd } from '../../protocol/drop-explanation';

function end(role: ExplainedEnd['role'], e: FlowEndpoint, endpoints: readonly EndpointState[]): ExplainedEnd {
  const ep = endpoints.find((x) => x.ip === e.ip);
  return {
    role, workload: e.workload ?? reservedIdentityName(e.identity), ip: e.ip, port: e.port,
    identity: e.identity || ep?.identity || 0,
    labels: ep?.labels ?? reservedIdentityLabels(e.identity) ?? {},
  };
}

function l4(flow: FlowEvent): string {
  return flow.protocol === 'icmp' ? 'ICMP' : `${flow.dst.port}/${flow.protocol}`;
}

export function explainDrop(flow: FlowEvent, endpoints: readonly EndpointState[], trace?: TraceResponse): DropExplanation {
  const src = end('source', flow.src, endpoints);
  const dst = end('destination', flow.dst, endpoints);
  const from = src.workload ?? src.ip;
  const to = dst.workload ?? dst.ip;
  const enforcer = flow.direction === 'ingress' ? to : from;
  const title = `${flow.verdict === 'dropped' ? 'Why was' : 'Why did'} ${from} → ${to} ${l4(flow)} ${flow.verdict === 'dropped' ? 'dropped?' : 'pass?'}`;
  const decision = flowDecision(flow);
  const d = decision.decidedBy;
  // What the decision means, in plain words, for the two decisions a policy author can change.
  const meaning = d.kind === 'default-deny'
    ? ` Policy ${d.policyId ?? '?'} selects ${enforcer} for ${flow.direction}${flow.ruleText ? ` (\`${flow.ruleText}\`)` : ''}, which puts it in default deny for ${flow.direction}.`
    : d.kind === 'rule' && d.action === 'deny' ? ' A deny wins over any allow.' : '';
  const summary = `The packet from ${from} (identity ${src.identity}) to ${to} (identity ${dst.identity}) on ${l4(flow)} at the ${flow.direction} of ${enforcer}: ${decisionText(decision)}.${meaning}`;
  const explanation: DropExplanation = { title, summary, ends: [src, dst], steps: [], decidingText: flow.ruleText, decidingSource: flow.source, flow };
  if (trace && 'error' in trace) explanation.staticError = trace.error;
  else if (trace) {
    explanation.steps = trace.steps;
    explanation.staticVerdict = trace.verdict;
    explanation.fix = trace.fix;
    const d = trace.decidedBy;
    if (!explanation.decidingSource && (d.kind === 'rule' || d.kind === 'default-deny')) {
      explanation.decidingSource = d.source;
      explanation.decidingText = d.text;
    }
  }
  return explanation;
}
