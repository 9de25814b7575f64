/** Pure logic behind the editor features: rule tallies, expect contradictions, Explain Drop's wording. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowColumnRing } from '../../src/protocol/flow-column-ring';
import { encodeFlowColumns } from '../../src/protocol/flow-columns';
import type { FlowEvent } from '../../src/protocol/flow-event';
import type { ExpectIR } from '../../src/protocol/policy-ir';
import { RuleStats, describeFlow } from '../../src/extension/editor/rule-stats';
import { contradictions, expectMatchesFlow } from '../../src/extension/editor/expect-contradictions';
import { explainDrop } from '../../src/extension/editor/drop-explanation';

const loc = (line: number) => ({ uri: 'file:///w/shop.policy', range: { start: { line, character: 2 }, end: { line, character: 30 } } });

function flow(over: Partial<FlowEvent>): FlowEvent {
  return {
    time: 2_000, verdict: 'forwarded', dropReason: 0, direction: 'ingress', protocol: 'tcp', match: 'policy', cookie: 7,
    src: { ip: '10.244.0.2', port: 40000, identity: 256, workload: 'default/frontend' },
    dst: { ip: '10.244.0.4', port: 5432, identity: 258, workload: 'default/db' },
    ...over,
  };
}

const defaultDeny = flow({ verdict: 'dropped', dropReason: 133, match: 'default-deny', policyId: 'default/db-ingress', source: loc(20), ruleText: 'select app == "db"' });

/** A ring as the extension's FlowStore keeps it, and a way to append to it. */
function flowRing(capacity = 1000): { ring: FlowColumnRing; add(flows: FlowEvent[]): void } {
  const ring = new FlowColumnRing(capacity);
  return { ring, add: (flows) => { ring.append(encodeFlowColumns(flows)); } };
}

test('tallies rules and default-deny policies from the ring\'s columns, newest drops first, only since the reset', () => {
  const { ring, add } = flowRing();
  const stats = new RuleStats(ring);
  stats.reset(1_000);
  add([
    flow({ time: 500, ruleId: 'default/backend-ingress/ingress/0' }), // before the deploy: not counted
    flow({ ruleId: 'default/backend-ingress/ingress/0' }),
    flow({ ruleId: 'default/backend-ingress/ingress/2', verdict: 'dropped', dropReason: 181, match: 'policy', time: 3_000 }),
    flow({ ruleId: 'default/backend-ingress/ingress/2', verdict: 'dropped', dropReason: 181, match: 'policy', time: 4_000 }),
    defaultDeny,
  ]);
  stats.catchUp();
  assert.deepEqual([stats.rule('default/backend-ingress/ingress/0').allowed, stats.rule('default/backend-ingress/ingress/0').denied], [1, 0]);
  const deny = stats.rule('default/backend-ingress/ingress/2');
  assert.equal(deny.denied, 2);
  assert.deepEqual(deny.lastDrops().map((f) => f.time), [4_000, 3_000]);
  assert.deepEqual(deny.lastDrops(1).map((f) => f.time), [4_000]);
  assert.equal(stats.policy('default/db-ingress').denied, 1);
  assert.equal(stats.rule('nope').allowed, 0);
  assert.equal(stats.total, 4);
  // Counting again counts only what arrived since.
  add([flow({ ruleId: 'default/backend-ingress/ingress/0', time: 5_000 })]);
  stats.catchUp();
  assert.equal(stats.rule('default/backend-ingress/ingress/0').allowed, 2);
  stats.reset(10_000);
  assert.equal(stats.policy('default/db-ingress').denied, 0);
});

test('keeps at most five last drops per rule, and only those the ring still holds', () => {
  const { ring, add } = flowRing(1000);
  const stats = new RuleStats(ring);
  stats.reset(0);
  for (let i = 0; i < 9; i++) { add([{ ...defaultDeny, time: 100 + i }]); stats.catchUp(); }
  const tally = stats.policy('default/db-ingress');
  assert.equal(tally.denied, 9);
  assert.deepEqual(tally.lastDrops().map((f) => f.time), [108, 107, 106, 105, 104]);
  ring.resize(2);
  assert.deepEqual(tally.lastDrops().map((f) => f.time), [108, 107]);
  assert.equal(tally.denied, 9, 'counts stay when flows leave the ring');
});

const expect = (over: Partial<ExpectIR>): ExpectIR => ({
  id: 'e', from: 'frontend', to: 'db', port: 5432, protocol: 'tcp', verdict: 'allowed', text: 'expect frontend -> db:5432/tcp allowed', source: loc(30), ...over,
});

test('a drop contradicts an allowed expect with the same ends and port, in either name form', () => {
  assert.ok(expectMatchesFlow(expect({}), defaultDeny));
  assert.ok(expectMatchesFlow(expect({ from: 'default/frontend' }), defaultDeny));
  assert.ok(!expectMatchesFlow(expect({ port: 8080 }), defaultDeny));
  assert.ok(!expectMatchesFlow(expect({ protocol: 'udp' }), defaultDeny));
  assert.ok(!expectMatchesFlow(expect({ from: 'backend' }), defaultDeny));
  const { ring, add } = flowRing();
  add([defaultDeny, flow({ time: 8_000 }), { ...defaultDeny, time: 9_000 }]);
  const found = contradictions([expect({}), expect({ verdict: 'denied' }), expect({ to: 'backend' })], ring, [ring.base, ring.base + 1, ring.base + 2]);
  assert.equal(found.length, 1);
  assert.equal(found[0].count, 2);
  assert.equal(found[0].drop.time, 9_000);
});

test('Explain Drop says who, where and why, with identities, labels, steps and the fix', () => {
  const endpoints = [
    { name: 'default/frontend-0', workload: 'frontend', namespace: 'default', labels: { app: 'frontend', tier: 'web' }, ip: '10.244.0.2', netns: 'n', ifname: 'i', endpointId: 1, identity: 256 },
    { name: 'default/db-0', workload: 'db', namespace: 'default', labels: { app: 'db', tier: 'data' }, ip: '10.244.0.4', netns: 'n', ifname: 'i', endpointId: 3, identity: 258 },
  ];
  const fix = { title: 'Add `allow from app == "frontend" to port 5432/tcp` to policy db-ingress', uri: 'file:///w/shop.policy', position: { line: 22, character: 40 }, newText: '\n    allow from app == "frontend" to port 5432/tcp' };
  const e = explainDrop(defaultDeny, endpoints, {
    verdict: 'denied', steps: ['egress of frontend: default allow', 'ingress of db: default deny by db-ingress'],
    decidedBy: { kind: 'default-deny', policyId: 'default/db-ingress', direction: 'ingress', text: 'select app == "db"', source: loc(20) }, fix,
  });
  assert.match(e.title, /default\/frontend → default\/db 5432\/tcp dropped/);
  assert.match(e.summary, /identity 256.*identity 258/);
  assert.match(e.summary, /Policy default\/db-ingress selects default\/db for ingress/);
  assert.match(e.summary, /default deny/);
  assert.deepEqual(e.ends.map((x) => x.labels.app), ['frontend', 'db']);
  assert.equal(e.steps.length, 2);
  assert.equal(e.decidingSource?.range.start.line, 20);
  assert.equal(e.fix, fix);
  const denied = explainDrop(flow({ verdict: 'dropped', dropReason: 181, ruleId: 'r', ruleText: 'deny from tier == "web" to port 9090/tcp' }), endpoints, { error: 'x' });
  assert.match(denied.summary, /: dropped \(Policy denied by denylist, 181\) by deny rule r `deny from tier == "web" to port 9090\/tcp`\. A deny wins over any allow\.$/);
  assert.equal(denied.staticError, 'x');
});

test('flows and decisions in words', () => {
  assert.equal(describeFlow(defaultDeny), 'default/frontend → default/db 5432/tcp');
  assert.equal(describeFlow(flow({ protocol: 'icmp' })), 'default/frontend → default/db icmp');
});
