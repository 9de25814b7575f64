/**
 * The agent's side of the event pipeline: ring-buffer records → packed
 * columns (packed-batch-builder.ts) say what each record means, read back as
 * the extension reads them; the frame reader must reassemble frames however
 * the pipe cuts them; the recent ring must find flows across its wrap-around.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowRecordReader } from '../../src/agent/datapath/flow-record-reader';
import { FlowEventLayout } from '../../src/agent/datapath/layouts';
import { FrameReader, type RecordFrame } from '../../src/agent/datapath/record-frames';
import type { FlowRecordBatch } from '../../src/agent/datapath/types';
import { FlowColumnsBuilder } from '../../src/agent/flows/packed-batch-builder';
import { FlowEnricher } from '../../src/agent/flows/flow-enricher';
import { RecentFlows } from '../../src/agent/flows/recent-flows';
import type { EndpointState } from '../../src/protocol/agent-rpc';
import type { FlowEvent } from '../../src/protocol/flow-event';
import { unpackFlowColumns } from '../../src/protocol/flow-packed';
import { cookieOf, type PolicyBundle } from '../../src/protocol/policy-ir';
import { receivedFlows } from '../harness/received-flows';
import { flowRecords, type RecordFields } from './support/flow-records';

const loc = (line: number) => ({ uri: 'file:///shop.policy', range: { start: { line, character: 0 }, end: { line, character: 9 } } });
const ep = (endpointId: number, workload: string, ip: string, identity: number): EndpointState =>
  ({ name: `default/${workload}-0`, workload, namespace: 'default', labels: { app: workload }, ip, netns: `ps-x-${workload}-0`, ifname: `lxc${endpointId}`, endpointId, identity });
const ruleId = 'default/be/ingress/0';
const policyCookie = cookieOf('default/be');
const bundle: PolicyBundle = {
  version: 1, workloads: [], expects: [],
  policies: [{
    id: 'default/be', cookie: policyCookie, name: 'be', namespace: 'default',
    selector: { terms: [{ key: 'app', operator: 'in', values: ['backend'] }] }, source: loc(3), selectSource: loc(4),
    ingress: [{ id: ruleId, cookie: cookieOf(ruleId), action: 'allow', direction: 'ingress', peers: [], ports: [], text: 'allow from app == "frontend"', source: loc(5) }],
  }],
};

function enricher(): FlowEnricher {
  const e = new FlowEnricher();
  e.setLab([ep(1, 'frontend', '10.244.0.2', 256), ep(2, 'backend', '10.244.0.3', 257)], '10.244.0.1');
  e.setBundle(bundle);
  return e;
}

/** Every kind of record the datapath writes, and some it should not (unknown endpoint, odd protocol). */
const KINDS: Partial<RecordFields>[] = [
  {},
  { match: 'policy', cookie: cookieOf(ruleId), protocol: 6, tcpFlags: 0x12, ifindex: 7 },
  { dropped: true, dropReason: 133, match: 'default-deny', cookie: policyCookie, protocol: 6, tcpFlags: 0x02 },
  { dropped: true, dropReason: 181, match: 'policy', cookie: cookieOf(ruleId), saddr: '10.244.0.1', remoteIdentity: 1 },
  { ingress: false, endpointId: 1, daddr: '8.8.8.8', remoteIdentity: 2, match: 'default-allow' },
  { protocol: 1, icmpType: 8, sport: 77, dport: 77, match: 'ct-established' },
  { endpointId: 99, saddr: '172.16.0.9', remoteIdentity: 16777217, protocol: 47, match: 'none', cookie: 12345 },
  { ingress: false, endpointId: 1, match: 'ct-reply', protocol: 6, tcpFlags: 0x11, length: 1500 },
];

const NOW_MS = 1_700_000_000_000;
const NOW_MONO_MS = 5000;
const batchOf = (records: Partial<RecordFields>[]): FlowRecordBatch =>
  ({ data: flowRecords(records), size: FlowEventLayout.size, count: records.length, nowMs: NOW_MS, nowMonoMs: NOW_MONO_MS });

const frontend = { ip: '10.244.0.2', identity: 256, workload: 'default/frontend' };
const backend = { ip: '10.244.0.3', identity: 257, workload: 'default/backend' };
const explainedByRule = { ruleId, ruleText: 'allow from app == "frontend"', source: loc(5) };
/** What each of KINDS means, written out (not derived from the code under test); `time` is checked apart. */
const MEANT: Omit<FlowEvent, 'time'>[] = [
  { verdict: 'forwarded', dropReason: 0, direction: 'ingress', endpoint: 'default/backend-0', protocol: 'udp', match: 'default-allow', cookie: 0, length: 64,
    src: { ...frontend, port: 40000 }, dst: { ...backend, port: 9000 } },
  { verdict: 'forwarded', dropReason: 0, direction: 'ingress', endpoint: 'default/backend-0', protocol: 'tcp', tcpFlags: 'SYN|ACK', match: 'policy', cookie: cookieOf(ruleId), length: 64, ifindex: 7,
    src: { ...frontend, port: 40000 }, dst: { ...backend, port: 9000 }, ...explainedByRule },
  { verdict: 'dropped', dropReason: 133, dropReasonText: 'Policy denied', direction: 'ingress', endpoint: 'default/backend-0', protocol: 'tcp', tcpFlags: 'SYN', match: 'default-deny', cookie: policyCookie, length: 64,
    src: { ...frontend, port: 40000 }, dst: { ...backend, port: 9000 }, policyId: 'default/be', ruleText: 'select app == "backend"', source: loc(4) },
  { verdict: 'dropped', dropReason: 181, dropReasonText: 'Policy denied by denylist', direction: 'ingress', endpoint: 'default/backend-0', protocol: 'udp', match: 'policy', cookie: cookieOf(ruleId), length: 64,
    src: { ip: '10.244.0.1', port: 40000, identity: 1, workload: 'host' }, dst: { ...backend, port: 9000 }, ...explainedByRule },
  { verdict: 'forwarded', dropReason: 0, direction: 'egress', endpoint: 'default/frontend-0', protocol: 'udp', match: 'default-allow', cookie: 0, length: 64,
    src: { ...frontend, port: 40000 }, dst: { ip: '8.8.8.8', port: 9000, identity: 2, workload: 'world' } },
  // ICMP: the type is the destination "port", the echo id is not a port.
  { verdict: 'forwarded', dropReason: 0, direction: 'ingress', endpoint: 'default/backend-0', protocol: 'icmp', match: 'ct-established', cookie: 0, length: 64,
    src: { ...frontend, port: 0 }, dst: { ...backend, port: 8 } },
  // An endpoint the agent does not know, an address without a workload, a protocol without a name, a cookie no rule has.
  { verdict: 'forwarded', dropReason: 0, direction: 'ingress', protocol: '47', match: 'none', cookie: 12345, length: 64,
    src: { ip: '172.16.0.9', port: 40000, identity: 16777217 }, dst: { ...backend, port: 9000 } },
  { verdict: 'forwarded', dropReason: 0, direction: 'egress', endpoint: 'default/frontend-0', protocol: 'tcp', tcpFlags: 'ACK|FIN', match: 'ct-reply', cookie: 0, length: 1500,
    // Egress: the remote identity is the destination's, as the datapath looked it up.
    src: { ...frontend, port: 40000 }, dst: { ...backend, identity: 256, port: 9000 } },
];

test('packed columns say what each record means, as the extension reads them', () => {
  const e = enricher();
  const records = Array.from({ length: 300 }, (_, i) => ({ ...KINDS[i % KINDS.length]!, ktimeMs: 4000 + i }));
  // A small first capacity: the builder must grow while appending.
  const builder = new FlowColumnsBuilder(e, 16);
  assert.equal(builder.append(batchOf(records)), 300);
  const packed = builder.finish(7);
  const got = receivedFlows(JSON.parse(JSON.stringify(packed)));
  assert.equal(got.lost, 7);
  assert.equal(got.flows.length, 300);
  got.flows.forEach(({ time, ...flow }, i) => {
    assert.deepEqual(flow, MEANT[i % MEANT.length], `record ${i}`);
    // Recorded 1000 - i ms before the batch was read.
    assert.equal(time, NOW_MS - (1000 - i));
  });
  // The next batch starts empty, with its own string table.
  assert.equal(builder.count, 0);
  builder.append(batchOf([KINDS[2]!]));
  const next = builder.finish(0);
  assert.deepEqual(receivedFlows(next).flows.map(({ time: _, ...f }) => f), [MEANT[2]]);
  assert.ok(next.strings.length < packed.strings.length);
});

test('append takes at most what it is given room for; a client reads the columns without objects', () => {
  const builder = new FlowColumnsBuilder(enricher());
  assert.equal(builder.append(batchOf([{}, {}, {}, {}]), 3), 3);
  const packed = builder.finish(1);
  const cols = unpackFlowColumns(packed);
  assert.equal(cols.dstPort.length, 3);
  const server = packed.strings.indexOf('10.244.0.3');
  assert.equal(cols.dstIp.filter((ipIndex, i) => ipIndex === server && cols.direction[i] === 0).length, 3);
});

test('frames are reassembled wherever the pipe cuts them', () => {
  const frame = (records: Partial<RecordFields>[]) => {
    const data = flowRecords(records);
    const out = new Uint8Array(8 + data.byteLength);
    new DataView(out.buffer).setUint32(0, FlowEventLayout.size, true);
    new DataView(out.buffer).setUint32(4, records.length, true);
    out.set(data, 8);
    return out;
  };
  const stream = new Uint8Array([...frame([{ sport: 1 }, { sport: 2 }]), ...frame([{ sport: 3 }]), ...frame([{ sport: 4 }, { sport: 5 }, { sport: 6 }])]);
  for (const cut of [1, 3, 7, 8, 9, 50, 104, 105, stream.length - 1]) {
    const got: RecordFrame[] = [];
    const reader = new FrameReader((f) => got.push(f));
    // Three reads: [0, cut), [cut, cut + 5), the rest.
    for (const part of [stream.subarray(0, cut), stream.subarray(cut, cut + 5), stream.subarray(cut + 5)]) reader.push(part);
    const records = new FlowRecordReader();
    const sports = got.flatMap((f) => { records.read({ ...f, nowMs: 0, nowMonoMs: 0 }); return Array.from({ length: f.count }, (_, i) => records.seek(i).srcPort); });
    assert.deepEqual(sports, [1, 2, 3, 4, 5, 6], `cut at ${cut}`);
  }
});

test('the recent ring keeps the last records, decodes them on search, oldest first', () => {
  const recent = new RecentFlows(enricher(), 5);
  recent.addRecords(batchOf([1, 2, 3].map((sport) => ({ sport, ktimeMs: 4990 }))));
  recent.addRecords(batchOf([4, 5, 6, 7].map((sport) => ({ sport, ktimeMs: 4990 }))));
  assert.deepEqual(recent.find(0, () => true).map((f) => f.src.port), [3, 4, 5, 6, 7]);
  assert.deepEqual(recent.find(0, (f) => f.src.port % 2 === 1).map((f) => f.src.port), [3, 5, 7]);
  // A batch larger than the ring keeps its own last records.
  recent.addRecords(batchOf([10, 11, 12, 13, 14, 15, 16].map((sport) => ({ sport }))));
  assert.deepEqual(recent.find(0, () => true).map((f) => f.src.port), [12, 13, 14, 15, 16]);
  assert.equal(recent.find(NOW_MS + 1, () => true).length, 0);
});
