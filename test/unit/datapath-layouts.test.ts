/**
 * Encoding of map keys/values and decoding of flow events (byte order,
 * offsets). The expected offsets are written here by hand from the C structs
 * in bpf/lib/*.h (natural alignment, no packing), not read from layouts.ts:
 * a test that took its expectation from the code under test could not fail.
 * (test/kernel/datapath-layouts.test.ts compares layouts.ts with the BTF of
 * the compiled object.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowRecordReader, ipv4Text } from '../../src/agent/datapath/flow-record-reader';
import {
  ALL_LAYOUTS, decodeEndpointInfo, decodeIpcacheKey, decodePolicyKey, encodeEndpointInfo, encodeIpcacheKey, encodePolicyKey,
  POLICY_FULL_PREFIX, sumPerCpuU64, toHex,
} from '../../src/agent/datapath/layouts';

/** Size and member offsets of each struct as bpf/lib/*.h declares it (padding members left out). */
const C_STRUCTS: Record<string, { size: number; offsets: Record<string, number> }> = {
  // ipcache.h
  ipcache_key: { size: 8, offsets: { prefixlen: 0, addr: 4 } },
  ipcache_entry: { size: 8, offsets: { identity: 0, flags: 4 } },
  // endpoint.h
  endpoint_info: { size: 8, offsets: { endpoint_id: 0, identity: 4 } },
  // local_delivery.h: two 6-byte MACs after two __u32, padded to 4
  lxc_info: { size: 20, offsets: { ifindex: 0, endpoint_id: 4, mac: 8, node_mac: 14 } },
  // policy.h
  policy_key: { size: 16, offsets: { prefixlen: 0, endpoint_id: 4, identity: 8, direction: 12, protocol: 13, dport: 14 } },
  policy_entry: { size: 8, offsets: { cookie: 0, deny: 4 } },
  policy_active: { size: 8, offsets: { slot: 0, generation: 4 } },
  // conntrack.h: __u16 pad before endpoint_id; pad[5] after state rounds to the __u64 alignment
  ct_key: { size: 20, offsets: { saddr: 0, daddr: 4, sport: 8, dport: 10, protocol: 12, direction: 13, endpoint_id: 16 } },
  ct_entry: { size: 40, offsets: { created_ns: 0, last_seen_ns: 8, expires_ns: 16, cookie: 24, packets: 28, tcp_flags_orig: 32, tcp_flags_reply: 33, state: 34 } },
  // events.h: eight __u8 at the end, the last one pad
  flow_event: {
    size: 48,
    offsets: {
      ktime_ns: 0, endpoint_id: 8, ifindex: 12, saddr: 16, daddr: 20, sport: 24, dport: 26, remote_identity: 28, cookie: 32, length: 36,
      verdict: 40, drop_reason: 41, direction: 42, match: 43, protocol: 44, tcp_flags: 45, icmp_type: 46,
    },
  },
  // config.h: six __u32 and reserved[2]
  ps_config: { size: 32, offsets: { trace_all: 0, ct_tcp_s: 4, ct_nontcp_s: 8, ct_syn_s: 12, ct_close_s: 16, route_local: 20 } },
  // fragments.h
  frag_key: { size: 12, offsets: { saddr: 0, daddr: 4, id: 8, protocol: 10 } },
  frag_ports: { size: 8, offsets: { sport: 0, dport: 2, icmp_type: 4 } },
};

test('every layout has the size and offsets of its C struct as written in bpf/lib', () => {
  assert.deepEqual(ALL_LAYOUTS.map((l) => l.name).sort(), Object.keys(C_STRUCTS).sort(), 'a struct added on one side is added here too');
  for (const layout of ALL_LAYOUTS) {
    assert.deepEqual({ size: layout.size, offsets: layout.offsets }, C_STRUCTS[layout.name], layout.name);
  }
});

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
  const { size, offsets: o } = C_STRUCTS.flow_event!;
  const rec = new Uint8Array(size);
  const v = new DataView(rec.buffer);
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
