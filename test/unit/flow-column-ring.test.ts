/**
 * The columnar flow ring the extension host and the flows webview keep: what
 * goes in as objects or columns comes out as the same flows, the oldest leave
 * first, a resize keeps the newest, and string compaction changes no value.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowColumnRing } from '../../src/protocol/flow-column-ring';
import { encodeFlowColumns } from '../../src/protocol/flow-columns';
import { packFlowColumns, unpackFlowColumns } from '../../src/protocol/flow-packed';
import { FlowCursor } from '../../src/protocol/flow-cursor';
import type { FlowEvent } from '../../src/protocol/flow-event';

const source = { uri: 'file:///a.policy', range: { start: { line: 3, character: 0 }, end: { line: 3, character: 9 } } };

/** Flow `i`: every field set on drops, optional ones absent on forwarded flows; a new source IP per flow. */
function flow(i: number): FlowEvent {
  const dropped = i % 3 === 0;
  const f: FlowEvent = {
    time: 1_700_000_000_000 + i, verdict: dropped ? 'dropped' : 'forwarded', dropReason: dropped ? 133 : 0,
    direction: i % 2 ? 'egress' : 'ingress', protocol: i % 4 ? 'tcp' : 'udp',
    src: { ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 40000 + (i % 1000), identity: 256 + (i % 5), workload: 'default/frontend' },
    dst: { ip: '10.244.0.9', port: 5432, identity: 16777217 },
    match: dropped ? 'default-deny' : 'policy', cookie: 3_011_155_575,
  };
  if (dropped) Object.assign(f, { dropReasonText: 'Policy denied', policyId: 'default/db', ruleText: 'select app == "db"', source, tcpFlags: 'SYN', endpoint: 'default/db-0', length: 74 });
  else f.ruleId = `default/p${i % 7}/ingress/0`;
  return f;
}
const flows = (from: number, n: number): FlowEvent[] => Array.from({ length: n }, (_, k) => flow(from + k));

test('flows read back as they went in, as objects, through a cursor and through a slice', () => {
  const ring = new FlowColumnRing(10);
  ring.append(encodeFlowColumns(flows(0, 4)));
  assert.deepEqual(ring.events(), flows(0, 4));
  const cursor = new FlowCursor(ring);
  const c = cursor.at(3)!;
  assert.deepEqual([c.verdict, c.src.ip, c.src.workload, c.dst.workload, c.policyId, c.ruleId, c.length, c.source], ['dropped', '10.0.0.3', 'default/frontend', undefined, 'default/db', undefined, 74, source]);
  assert.equal(cursor.at(4), undefined, 'not yet arrived');
  const copy = new FlowColumnRing(10);
  copy.append(ring.slice(1, 3));
  assert.deepEqual(copy.events(), flows(1, 2));
  assert.ok(ring.slice(1, 3).strings.length < ring.strings.length, 'a slice carries only the strings its flows use');
});

test('the agent\'s packed batch goes in as typed columns and reads the same', () => {
  const ring = new FlowColumnRing(100);
  const sent = encodeFlowColumns(flows(0, 20));
  const packed = { lost: 0, count: sent.count, strings: sent.strings, sources: sent.sources, columns: packFlowColumns(sent, sent.count) };
  // Through JSON, as the JSON-RPC notification carries it.
  const received = JSON.parse(JSON.stringify(packed)) as typeof packed;
  ring.append({ ...unpackFlowColumns(received), count: received.count, strings: received.strings, sources: received.sources });
  assert.deepEqual(ring.events(), flows(0, 20));
});

test('the newest `capacity` flows stay, across batches larger than the ring and wrapping slices', () => {
  const ring = new FlowColumnRing(5);
  assert.equal(ring.append(encodeFlowColumns(flows(0, 3))), 0);
  assert.equal(ring.append(encodeFlowColumns(flows(3, 4))), 2, 'two left');
  assert.deepEqual([ring.base, ring.end], [2, 7]);
  assert.equal(ring.event(1), undefined);
  assert.deepEqual(ring.slice(4, 7).count, 3);
  assert.deepEqual(new FlowColumnRing(5).events(), []);
  const wrapped = new FlowColumnRing(5);
  wrapped.append(ring.slice());
  assert.deepEqual(wrapped.events(), flows(2, 5));
  ring.append(encodeFlowColumns(flows(7, 12)));
  assert.deepEqual(ring.events(), flows(14, 5));
});

test('a resize keeps the newest flows and their sequence numbers; a clear keeps numbering', () => {
  const ring = new FlowColumnRing(8);
  ring.append(encodeFlowColumns(flows(0, 11)));
  ring.resize(4);
  assert.deepEqual([ring.base, ring.length], [7, 4]);
  assert.deepEqual(ring.events(), flows(7, 4));
  ring.resize(6);
  ring.append(encodeFlowColumns(flows(11, 3)));
  assert.deepEqual(ring.events(), flows(8, 6));
  ring.clear();
  assert.deepEqual([ring.base, ring.length], [14, 0]);
  ring.append(encodeFlowColumns(flows(0, 1)));
  assert.deepEqual(ring.event(14), flow(0));
});

test('the string table drops strings of flows that left (a new IP per flow) without changing a value', () => {
  const ring = new FlowColumnRing(1000);
  for (let from = 0; from < 200_000; from += 5000) ring.append(encodeFlowColumns(flows(from, 5000)));
  assert.ok(ring.strings.length < 70_000 + 1000, `table bounded (${ring.strings.length})`);
  assert.ok(ring.generation > 0, 'compacted');
  assert.deepEqual(ring.events(), flows(199_000, 1000));
});
