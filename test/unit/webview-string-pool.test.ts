/**
 * The flows view's string pool: equal strings of different flows end up as
 * one shared value, the flow reads the same, and the pool stays bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlowEvent } from '../../src/protocol/flow-event';
import { poolFlowStrings, StringPool } from '../../media/flows/string-pool';

const flow = (): FlowEvent => JSON.parse(JSON.stringify({
  time: 1, verdict: 'dropped', dropReason: 133, dropReasonText: 'Policy denied', direction: 'ingress', endpoint: 'default/db-0', protocol: 'tcp',
  src: { ip: '10.244.0.8', port: 5, identity: 260, workload: 'default/frontend' }, dst: { ip: '10.244.0.11', port: 5432, identity: 262, workload: 'default/db' },
  match: 'default-deny', cookie: 7, policyId: 'default/db-ingress', ruleText: 'select app == "db"', tcpFlags: 'SYN',
})) as FlowEvent;

test('pooled flows read the same and share their strings', () => {
  const pool = new StringPool();
  const a = flow();
  const b = flow();
  const before = JSON.stringify(b);
  poolFlowStrings(a, pool);
  poolFlowStrings(b, pool);
  assert.equal(JSON.stringify(b), before, 'content unchanged');
  // 13 distinct strings across both flows, not 26.
  assert.equal(pool.size, 13);
  assert.equal(pool.intern('select app == "db"'.slice(0)), a.ruleText);
});

test('the pool is bounded', () => {
  const pool = new StringPool(100);
  for (let i = 0; i < 1000; i++) pool.intern(`10.0.${i >> 8}.${i & 255}`);
  assert.ok(pool.size <= 100);
  assert.equal(pool.intern(undefined), undefined);
});
