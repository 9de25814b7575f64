/**
 * The webviews' pure logic: the hubble-observe style flow filter, the Hubble
 * jsonpb export and the verifier log's structure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlowEvent } from '../../src/protocol/flow-event';
import type { Labels } from '../../src/protocol/policy-ir';
import { flowMatches, parseFlowQuery } from '../../media/flows/flow-filter';
import { structureLog } from '../../media/verifier/log-structure';
import { toHubbleFlow, toHubbleJsonLines } from '../../src/extension/views/hubble-json';

const identities = new Map<number, Labels>([
  [260, { app: 'frontend', tier: 'web', 'io.kubernetes.pod.namespace': 'default' }],
  [262, { app: 'db', tier: 'data', 'io.kubernetes.pod.namespace': 'default' }],
]);
const labelsOf = (id: number): Labels | undefined => identities.get(id);

const drop: FlowEvent = {
  time: Date.UTC(2025, 0, 2, 3, 4, 5, 678), verdict: 'dropped', dropReason: 133, dropReasonText: 'Policy denied', direction: 'ingress',
  endpoint: 'default/db-0', protocol: 'tcp', src: { ip: '10.244.0.8', port: 57174, identity: 260, workload: 'default/frontend' },
  dst: { ip: '10.244.0.11', port: 5432, identity: 262, workload: 'default/db' }, match: 'default-deny', cookie: 3011155575,
  policyId: 'default/db-ingress', ruleText: 'select app == "db"', tcpFlags: 'SYN', ifindex: 14,
};
const allowed: FlowEvent = {
  ...drop, verdict: 'forwarded', dropReason: 0, dropReasonText: undefined, direction: 'egress', endpoint: 'default/frontend-0', match: 'policy',
  dst: { ip: '10.244.0.9', port: 8080, identity: 261, workload: 'default/backend' }, policyId: undefined, ruleId: 'default/backend-ingress/ingress/0',
  ruleText: 'allow from app == "frontend" to port 8080/tcp', protocol: 'tcp', ifindex: undefined,
};

const matches = (q: string, f: FlowEvent): boolean => flowMatches(f, parseFlowQuery(q), labelsOf);

test('filter terms: verdict, workloads, ports, protocol, direction, reason, labels', () => {
  assert.ok(matches('verdict:dropped to:db', drop));
  assert.ok(!matches('verdict:dropped to:db', allowed));
  assert.ok(matches('from:frontend port:5432 proto:tcp dir:ingress reason:policy', drop));
  assert.ok(!matches('dir:egress', drop));
  assert.ok(matches('to-label:app=db from-label:tier=web', drop));
  assert.ok(!matches('to-label:app=backend', drop));
  assert.ok(matches('label:k8s:app=db', drop), 'hubble label spelling with k8s: prefix');
  assert.ok(matches('pod:db-0', drop), 'a pod name matches its workload');
});

test('hubble flag spelling and OR of repeated keys', () => {
  assert.ok(matches('--verdict DROPPED --to-pod default/db --port 5432', drop));
  assert.ok(matches('--traffic-direction=ingress', drop));
  assert.ok(matches('to:backend to:db', drop) && matches('to:backend to:db', allowed));
  assert.deepEqual(parseFlowQuery('colour:red verdict:dropped').unknown, ['colour']);
});

test('free words search the row text, ANDed', () => {
  assert.ok(matches('frontend 5432', drop));
  assert.ok(!matches('frontend 8080', drop));
  assert.ok(matches('"policy denied"', drop));
});

test('hubble jsonpb export of a drop', () => {
  const line = toHubbleFlow(drop, identities, 'node1') as { flow: Record<string, any>; node_name: string; time: string };
  assert.equal(line.time, '2025-01-02T03:04:05.678Z');
  assert.equal(line.node_name, 'node1');
  const f = line.flow;
  assert.equal(f.verdict, 'DROPPED');
  assert.equal(f.drop_reason_desc, 'POLICY_DENIED');
  assert.equal(f.traffic_direction, 'INGRESS');
  assert.deepEqual(f.IP, { source: '10.244.0.8', destination: '10.244.0.11', ipVersion: 'IPv4' });
  assert.deepEqual(f.l4, { TCP: { source_port: 57174, destination_port: 5432, flags: { SYN: true } } });
  assert.equal(f.source.identity, 260);
  assert.equal(f.source.namespace, 'default');
  assert.ok(f.source.labels.includes('k8s:app=frontend'));
  assert.equal(f.destination.pod_name, 'db-0');
  assert.equal(f.Type, 'L3_L4');
  assert.deepEqual(f.interface, { index: 14 }, 'the interface the packet was seen on');
  assert.deepEqual(f.ingress_denied_by[0].name, 'db-ingress');
  const forwarded = toHubbleFlow(allowed, identities, 'node1') as { flow: Record<string, any> };
  assert.equal(forwarded.flow.verdict, 'FORWARDED');
  assert.equal(forwarded.flow.drop_reason_desc, undefined);
  assert.ok(!('interface' in forwarded.flow), 'no interface when the datapath did not say');
  assert.equal(forwarded.flow.egress_allowed_by[0].name, 'backend-ingress');
  const text = toHubbleJsonLines([drop, allowed], identities, 'n');
  assert.equal(text.split('\n').length, 3);
  for (const l of text.trim().split('\n')) JSON.parse(l);
});

test('verifier log: per program on success, failing instruction and error on rejection', () => {
  const ok = structureLog('ps_lxc_ingress:\nprocessed 120 insns (limit 1000000) max_states_per_insn 1 total_states 10\nps_lxc_egress:\nprocessed 80 insns', false);
  assert.deepEqual(ok.map((s) => s.program), ['ps_lxc_ingress', 'ps_lxc_egress']);
  assert.equal(ok[0].lines[0].kind, 'stats');
  const failed = structureLog([
    'libbpf: prog \'ps_lxc_ingress\': BPF program load failed: Permission denied',
    '-- BEGIN PROG LOAD LOG --',
    '0: R1=ctx() R10=fp0',
    '; int x = *p; @ bpf_lxc.c:42',
    '0: (61) r2 = *(u32 *)(r1 +76)',
    '1: (71) r3 = *(u8 *)(r2 +0)',
    'R2 invalid mem access \'scalar\'',
    'processed 2 insns (limit 1000000)',
    '-- END PROG LOAD LOG --',
  ].join('\n'), true);
  const lines = failed.flatMap((s) => s.lines);
  assert.equal(failed[0].program, 'ps_lxc_ingress');
  assert.deepEqual(lines.find((l) => l.kind === 'source'), { text: '; int x = *p; @ bpf_lxc.c:42', kind: 'source', file: 'bpf_lxc.c', line: 42 });
  assert.equal(lines.find((l) => l.kind === 'failing-insn')?.text, '1: (71) r3 = *(u8 *)(r2 +0)');
  assert.equal(lines.find((l) => l.kind === 'error')?.text, 'R2 invalid mem access \'scalar\'');
});
