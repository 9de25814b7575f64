/** The one sentence for why a packet was decided, static or live (src/protocol/decision-text.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decisionText, fileLine, flowDecision } from '../../src/protocol/decision-text';
import type { FlowEvent } from '../../src/protocol/flow-event';
import type { TraceDecision } from '../../src/protocol/language-rpc';

const at = (line: number) => ({ uri: 'file:///w/shop.policy', range: { start: { line, character: 0 }, end: { line, character: 9 } } });

const flow = (over: Partial<FlowEvent>): FlowEvent => ({
  time: 1, verdict: 'dropped', dropReason: 133, direction: 'ingress', protocol: 'tcp', cookie: 7, match: 'default-deny',
  src: { ip: '10.244.0.2', port: 40000, identity: 256, workload: 'default/frontend' },
  dst: { ip: '10.244.0.4', port: 5432, identity: 258, workload: 'default/db' },
  ...over,
});

test('the static evaluator\'s decisions', () => {
  const rule: TraceDecision = { kind: 'rule', ruleId: 'default/db-in/ingress/0', policyId: 'default/db-in', action: 'allow', direction: 'ingress', text: 'allow from app == "backend"', source: at(4) };
  assert.equal(decisionText({ verdict: 'allowed', decidedBy: rule }), 'allowed by allow rule default/db-in/ingress/0 `allow from app == "backend"` (shop.policy:5)');
  const deny: TraceDecision = { kind: 'default-deny', policyId: 'default/db-in', direction: 'ingress', text: 'policy db-in: select …', source: at(2) };
  assert.equal(decisionText({ verdict: 'denied', decidedBy: deny }, (s) => `line ${s.range.start.line + 1}`),
    'denied by the default deny of policy default/db-in for ingress (line 3), no rule matches');
  assert.equal(decisionText({ verdict: 'allowed', decidedBy: { kind: 'default-allow' } }), 'allowed by default, no policy selects either end');
  assert.equal(decisionText({ verdict: 'denied', decidedBy: { kind: 'no-backend', service: 'api-svc', source: at(0) } }), 'denied: service api-svc has no backend for it (shop.policy:1)');
});

test('a flow event reads the same, with its drop reason', () => {
  const defaultDeny = flow({ policyId: 'default/db-in', ruleText: 'select app == "db"', source: at(2) });
  assert.equal(decisionText(flowDecision(defaultDeny)), 'dropped (Policy denied, 133) by the default deny of policy default/db-in for ingress (shop.policy:3), no rule matches');
  const denyRule = flow({ dropReason: 181, match: 'policy', ruleId: 'default/db-in/ingress/1', ruleText: 'deny from tier == "web"', source: at(5) });
  assert.equal(decisionText(flowDecision(denyRule)), 'dropped (Policy denied by denylist, 181) by deny rule default/db-in/ingress/1 `deny from tier == "web"` (shop.policy:6)');
  const allowed = flow({ verdict: 'forwarded', dropReason: 0, match: 'policy', ruleId: 'default/db-in/ingress/0', ruleText: 'allow from app == "frontend"', source: at(4) });
  assert.equal(decisionText(flowDecision(allowed)), 'forwarded by allow rule default/db-in/ingress/0 `allow from app == "frontend"` (shop.policy:5)');
  assert.equal(decisionText(flowDecision(flow({ match: 'policy', dropReason: 181 }))), 'dropped (Policy denied by denylist, 181) by deny rule with cookie 7 (not in the last deployed bundle)');
});

test('flows no policy rule decided', () => {
  assert.equal(decisionText(flowDecision(flow({ verdict: 'forwarded', dropReason: 0, match: 'default-allow', direction: 'egress' }))), 'forwarded by default, no policy selects the endpoint for egress');
  assert.equal(decisionText(flowDecision(flow({ verdict: 'forwarded', dropReason: 0, match: 'ct-reply' }))), 'forwarded by conntrack: the reply of an established connection');
  assert.equal(decisionText(flowDecision(flow({ dropReason: 134, match: 'none' }))), 'dropped by the datapath, not by policy: Invalid packet (134)');
  assert.equal(fileLine(at(11)), 'shop.policy:12');
});
