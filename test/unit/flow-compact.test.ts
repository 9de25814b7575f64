/** flows/batchCompact: what the client decodes is exactly the events the agent encoded. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCompactBatch, encodeCompactBatch } from '../../src/protocol/flow-compact';
import type { FlowEvent } from '../../src/protocol/flow-event';

const source = { uri: 'file:///a.policy', range: { start: { line: 3, character: 0 }, end: { line: 3, character: 9 } } };
const flows: FlowEvent[] = [
  {
    time: 1700000000123, verdict: 'forwarded', dropReason: 0, direction: 'ingress', endpoint: 'default/server-0', protocol: 'tcp',
    src: { ip: '10.244.0.2', port: 40000, identity: 256, workload: 'default/client' }, dst: { ip: '10.244.0.3', port: 80, identity: 257, workload: 'default/server' },
    match: 'policy', cookie: 77, ruleId: 'default/p/ingress/0', ruleText: 'allow from app=client', source, tcpFlags: 'SYN', length: 60,
  },
  {
    time: 1700000000124, verdict: 'dropped', dropReason: 133, dropReasonText: 'Policy denied', direction: 'egress', protocol: 'udp',
    src: { ip: '10.244.0.3', port: 5353, identity: 257 }, dst: { ip: '8.8.8.8', port: 53, identity: 2, workload: 'world' },
    match: 'default-deny', cookie: 99, policyId: 'default/p', ruleText: 'select app=server', source,
  },
];

test('a compact batch decodes to the same events, through JSON', () => {
  const wire = JSON.parse(JSON.stringify(encodeCompactBatch(flows, 5)));
  assert.equal(wire.lost, 5);
  assert.equal(wire.count, 2);
  assert.deepEqual(decodeCompactBatch(wire), flows);
  assert.equal(wire.sources.length, 1, 'a shared source goes once');
});
