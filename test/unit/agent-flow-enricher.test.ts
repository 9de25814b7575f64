/**
 * What the agent adds to a flow record (names, the deciding rule or policy),
 * through the one path records take: FlowColumnsBuilder → flows/batchPacked →
 * a FlowColumnRing, as the extension reads it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowEventLayout } from '../../src/agent/datapath/layouts';
import { FlowEnricher, tcpFlagsText } from '../../src/agent/flows/flow-enricher';
import { FlowColumnsBuilder } from '../../src/agent/flows/packed-batch-builder';
import { pickDecisive } from '../../src/agent/probe/probe';
import type { EndpointState } from '../../src/protocol/agent-rpc';
import type { FlowEvent } from '../../src/protocol/flow-event';
import { cookieOf, type PolicyBundle } from '../../src/protocol/policy-ir';
import { receivedFlows } from '../harness/received-flows';
import { flowRecords, type RecordFields } from './support/flow-records';

const loc = (line: number) => ({ uri: 'file:///shop.policy', range: { start: { line, character: 0 }, end: { line, character: 9 } } });
const ep = (endpointId: number, workload: string, ip: string, identity: number): EndpointState =>
  ({ name: `default/${workload}-0`, workload, namespace: 'default', labels: { app: workload }, ip, netns: `ps-x-${workload}-0`, ifname: `lxc${endpointId}`, endpointId, identity });
const ruleId = 'default/be/ingress/0';
const bundle: PolicyBundle = {
  version: 1, workloads: [], expects: [],
  policies: [{
    id: 'default/be', cookie: cookieOf('default/be'), name: 'be', namespace: 'default',
    selector: { terms: [{ key: 'app', operator: 'in', values: ['backend'] }] }, source: loc(3), selectSource: loc(4),
    ingress: [{ id: ruleId, cookie: cookieOf(ruleId), action: 'deny', direction: 'ingress', peers: [], ports: [], text: 'deny from app == "db"', source: loc(5) }],
  }],
};
const DEFAULT_RECORD: Partial<RecordFields> = {
  dropped: true, dropReason: 133, ingress: true, endpointId: 2, saddr: '10.244.0.2', daddr: '10.244.0.3', sport: 40000, dport: 8080,
  protocol: 6, remoteIdentity: 256, match: 'default-deny', cookie: cookieOf('default/be'), tcpFlags: 0x02, length: 60,
};

/** The flow the extension would show for one record with these fields. */
function flowOf(over: Partial<RecordFields>): FlowEvent {
  const builder = new FlowColumnsBuilder(enricher());
  builder.append({ data: flowRecords([{ ...DEFAULT_RECORD, ...over }]), size: FlowEventLayout.size, count: 1, nowMs: 10_000, nowMonoMs: 2000 });
  return receivedFlows(JSON.parse(JSON.stringify(builder.finish(0)))).flows[0]!;
}

function enricher(): FlowEnricher {
  const e = new FlowEnricher();
  e.setLab([ep(1, 'frontend', '10.244.0.2', 256), ep(2, 'backend', '10.244.0.3', 257)], '10.244.0.1');
  e.setBundle(bundle);
  return e;
}

test('a default deny is explained at the select line of the policy whose cookie it carries', () => {
  const f = flowOf({});
  assert.equal(f.policyId, 'default/be');
  assert.deepEqual(f.source, loc(4));
  assert.equal(f.ruleText, 'select app == "backend"');
  assert.equal(f.ruleId, undefined);
  assert.equal(f.dropReasonText, 'Policy denied');
  assert.equal(f.endpoint, 'default/backend-0');
  assert.deepEqual(f.src, { ip: '10.244.0.2', port: 40000, identity: 256, workload: 'default/frontend' });
  assert.deepEqual(f.dst, { ip: '10.244.0.3', port: 8080, identity: 257, workload: 'default/backend' });
  assert.equal(f.tcpFlags, 'SYN');
});

test('a rule match names the rule; host and world are named by address and identity', () => {
  const f = flowOf({ match: 'policy', dropReason: 181, cookie: cookieOf(ruleId), saddr: '10.244.0.1', remoteIdentity: 1 });
  assert.equal(f.ruleId, ruleId);
  assert.equal(f.ruleText, 'deny from app == "db"');
  assert.deepEqual(f.source, loc(5));
  assert.equal(f.src.workload, 'host');
  const w = flowOf({ dropped: false, dropReason: 0, ingress: false, endpointId: 1, saddr: '10.244.0.2', daddr: '8.8.8.8', remoteIdentity: 2, cookie: 0, match: 'default-allow' });
  assert.equal(w.dst.workload, 'world');
  assert.equal(w.src.identity, 256);
  assert.equal(w.dropReasonText, undefined);
});

test('TCP flags as text, and the decisive flow of a probe is the drop, else the rule match', () => {
  assert.equal(tcpFlagsText(0x12), 'SYN|ACK');
  const base = flowOf({ dropped: false, dropReason: 0, match: 'default-allow', ingress: false });
  const rule: FlowEvent = { ...base, match: 'policy', direction: 'ingress' };
  const drop: FlowEvent = { ...base, verdict: 'dropped', dropReason: 133, match: 'default-deny' };
  assert.equal(pickDecisive([base, rule]), rule);
  assert.equal(pickDecisive([base, rule, drop]), drop);
  assert.equal(pickDecisive([]), undefined);
});
