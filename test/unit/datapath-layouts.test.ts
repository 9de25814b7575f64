/** Encoding of map keys/values and decoding of flow events (byte order, offsets). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowRecordReader, ipv4Text } from '../../src/agent/datapath/flow-record-reader';
import {
  decodeEndpointInfo, decodeIpcacheKey, decodePolicyKey, encodeEndpointInfo, encodeIpcacheKey, encodePolicyKey,
  FlowEventLayout, POLICY_FULL_PREFIX, sumPerCpuU64, toHex,
} from '../../src/agent/datapath/layouts';

test('policy key: host-order ids, network-order port', () => {
  const key = { prefixlen: POLICY_FULL_PREFIX, endpointId: 0x0102, identity: 0x030405, direction: 1, protocol: 6, port: 8080 };
  const bytes = encodePolicyKey(key);
  assert.equal(toHex(bytes), '60000000' + '02010000' + '05040300' + '01' + '06' + '1f90');
  assert.deepEqual(decodePolicyKey(bytes), key);
});

test('ipcache key keeps the address in network order', () => {
  const bytes = encodeIpcacheKey(24, '10.244.1.0');
  assert.equal(toHex(bytes), '18000000' + '0af40100');
  assert.deepEqual(decodeIpcacheKey(bytes), { prefixlen: 24, addr: '10.244.1.0' });
});

test('endpoint info round-trips (identity as unsigned 32-bit)', () => {
  const info = { endpointId: 5, identity: 0xfffffffe };
  assert.deepEqual(decodeEndpointInfo(encodeEndpointInfo(info)), info);
});

test('flow event decoding', () => {
  const rec = new Uint8Array(FlowEventLayout.size);
  const v = new DataView(rec.buffer);
  const o = FlowEventLayout.offsets;
  v.setBigUint64(o.ktime_ns, 1_000_000_000n, true);
  v.setUint32(o.endpoint_id, 12, true);
  rec.set([10, 244, 101, 2], o.saddr);
  rec.set([10, 244, 102, 2], o.daddr);
  v.setUint16(o.sport, 40000, true);
  v.setUint16(o.dport, 8081, true);
  v.setUint32(o.remote_identity, 1001, true);
  v.setUint32(o.cookie, 0xb0b00001, true);
  v.setUint32(o.length, 60, true);
  rec[o.verdict] = 2;
  rec[o.drop_reason] = 133;
  rec[o.direction] = 0;
  rec[o.match] = 3;
  rec[o.protocol] = 6;
  rec[o.tcp_flags] = 0x02;
  // Read 1 s after the record (monotonic 2000 ms, record at 1000 ms), at wall clock 10,000 ms.
  const r = new FlowRecordReader().read({ data: rec, size: rec.byteLength, count: 1, nowMs: 10_000, nowMonoMs: 2000 });
  assert.deepEqual({
    time: r.timeMs, dropped: r.dropped, dropReason: r.dropReason, ingress: r.ingress, endpointId: r.endpointId,
    saddr: ipv4Text(r.saddr), daddr: ipv4Text(r.daddr), sport: r.srcPort, dport: r.dstPort, protocol: r.protocol,
    remoteIdentity: r.remoteIdentity, match: r.match, cookie: r.cookie, tcpFlags: r.tcpFlags, length: r.length,
  }, {
    time: 9_000, dropped: true, dropReason: 133, ingress: true, endpointId: 12,
    saddr: '10.244.101.2', daddr: '10.244.102.2', sport: 40000, dport: 8081, protocol: 6, remoteIdentity: 1001,
    match: 'default-deny', cookie: 0xb0b00001, tcpFlags: 2, length: 60,
  });
  assert.throws(() => new FlowRecordReader().read({ data: rec.slice(0, 40), size: 40, count: 1, nowMs: 0, nowMonoMs: 0 }));
});

test('per-CPU values are summed', () => {
  const bytes = new Uint8Array(24);
  const v = new DataView(bytes.buffer);
  v.setBigUint64(0, 1n, true);
  v.setBigUint64(8, 2n, true);
  v.setBigUint64(16, 40n, true);
  assert.equal(sumPerCpuU64(bytes), 43n);
});
