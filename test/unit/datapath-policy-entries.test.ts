/**
 * Policy entries → ps_policy LPM entries: port ranges as prefixes and deny
 * precedence resolved in user space. The LPM lookup is emulated here with
 * the same rule the kernel applies (longest matching prefix per identity,
 * then deny over allow across exact and wildcard identity) to check the
 * resolved entries decide every port the way the rules say.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { portRangeToPrefixes, resolvePolicyEntries } from '../../src/agent/datapath/policy-entries';
import { POLICY_STATIC_PREFIX, type PolicyMapEntry } from '../../src/agent/datapath/layouts';
import type { PolicyEntry } from '../../src/agent/datapath/types';

test('a port range becomes the smallest exact set of prefixes', () => {
  assert.deepEqual(portRangeToPrefixes(80, 80), [{ value: 80, bits: 16 }]);
  assert.deepEqual(portRangeToPrefixes(0, 65535), [{ value: 0, bits: 0 }]);
  assert.deepEqual(portRangeToPrefixes(1024, 2047), [{ value: 1024, bits: 6 }]);
  assert.equal(portRangeToPrefixes(9000, 9100).length, 6);
  for (const [start, end] of [[9000, 9100], [1, 65535], [0, 1], [443, 444], [32767, 32769], [5000, 5999]]) {
    const covered = new Set<number>();
    for (const p of portRangeToPrefixes(start, end)) {
      const size = 2 ** (16 - p.bits);
      assert.equal(p.value % size, 0, 'prefix is aligned');
      for (let port = p.value; port < p.value + size; port++) {
        assert.ok(!covered.has(port), 'prefixes do not overlap');
        covered.add(port);
      }
    }
    assert.equal(covered.size, end - start + 1);
    assert.ok(covered.has(start) && covered.has(end) && !covered.has(start - 1) && !covered.has(end + 1));
  }
  assert.throws(() => portRangeToPrefixes(10, 5), RangeError);
});

/** What bpf/lib/policy.h policy_lookup() decides for one packet, given the map entries. */
function kernelDecision(map: PolicyMapEntry[], q: { endpointId: number; identity: number; direction: number; protocol: number; port: number }) {
  const lpm = (identity: number) => {
    const value = (((q.protocol << 16) | q.port) >>> 0);
    let best: PolicyMapEntry | undefined;
    for (const e of map) {
      if (e.endpointId !== q.endpointId || e.identity !== identity || e.direction !== q.direction) continue;
      const len = e.prefixlen - POLICY_STATIC_PREFIX;
      const shift = 24 - len;
      const ev = (((e.protocol << 16) | e.port) >>> 0);
      if (len > 0 && ev >>> shift !== value >>> shift) continue;
      if (!best || e.prefixlen > best.prefixlen) best = e;
    }
    return best;
  };
  const exact = lpm(q.identity);
  const wild = lpm(0);
  if (exact?.deny) return { verdict: 'deny', cookie: exact.cookie };
  if (wild?.deny) return { verdict: 'deny', cookie: wild.cookie };
  if (exact) return { verdict: 'allow', cookie: exact.cookie };
  if (wild) return { verdict: 'allow', cookie: wild.cookie };
  return { verdict: 'none', cookie: 0 };
}

const base = { endpointId: 3, direction: 'ingress' as const };
const tcp = (identity: number, portStart: number, portEnd: number, action: 'allow' | 'deny', cookie: number): PolicyEntry =>
  ({ ...base, identity, protocol: 6, portStart, portEnd, action, cookie });

test('a broader deny overrides a narrower allow of the same identity', () => {
  const map = resolvePolicyEntries([tcp(500, 8080, 8080, 'allow', 1), tcp(500, 8000, 8999, 'deny', 2)]);
  assert.deepEqual(kernelDecision(map, { endpointId: 3, identity: 500, direction: 0, protocol: 6, port: 8080 }), { verdict: 'deny', cookie: 2 });
});

test('a narrower deny inside a broader allow denies only its ports', () => {
  const map = resolvePolicyEntries([tcp(500, 9000, 9100, 'allow', 1), tcp(500, 9050, 9050, 'deny', 2)]);
  const q = { endpointId: 3, identity: 500, direction: 0, protocol: 6 };
  assert.deepEqual(kernelDecision(map, { ...q, port: 9050 }), { verdict: 'deny', cookie: 2 });
  assert.deepEqual(kernelDecision(map, { ...q, port: 9051 }), { verdict: 'allow', cookie: 1 });
  assert.deepEqual(kernelDecision(map, { ...q, port: 9101 }), { verdict: 'none', cookie: 0 });
});

test('deny of any protocol covers every port of every protocol', () => {
  const map = resolvePolicyEntries([
    { ...base, identity: 500, protocol: 0, portStart: 0, portEnd: 0, action: 'deny', cookie: 9 },
    tcp(500, 22, 22, 'allow', 1),
    { ...base, identity: 500, protocol: 1, portStart: 8, portEnd: 8, action: 'allow', cookie: 3 },
  ]);
  assert.ok(map.every((e) => e.deny && e.cookie === 9));
});

test('a port without a protocol applies to TCP and UDP', () => {
  const map = resolvePolicyEntries([{ ...base, identity: 0, protocol: 0, portStart: 53, portEnd: 53, action: 'allow', cookie: 4 }]);
  assert.deepEqual(map.map((e) => e.protocol).sort((x, y) => x - y), [6, 17]);
  assert.ok(map.every((e) => e.prefixlen === POLICY_STATIC_PREFIX + 24 && e.port === 53));
});

test('the same key from two rules: deny beats allow, else the first rule keeps it', () => {
  const a = resolvePolicyEntries([tcp(500, 80, 80, 'allow', 1), tcp(500, 80, 80, 'deny', 2)]);
  assert.deepEqual(a.map((e) => [e.deny, e.cookie]), [[true, 2]]);
  const b = resolvePolicyEntries([tcp(500, 80, 80, 'allow', 1), tcp(500, 80, 80, 'allow', 2)]);
  assert.deepEqual(b.map((e) => [e.deny, e.cookie]), [[false, 1]]);
});

test('random rule sets: the emulated kernel decision matches the rules, deny first', () => {
  let seed = 12345;
  const rnd = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
  for (let round = 0; round < 200; round++) {
    const rules: PolicyEntry[] = [];
    for (let i = 0; i < 1 + rnd(6); i++) {
      const start = rnd(40);
      const end = start + rnd(20);
      const protocol = [0, 6, 17][rnd(3)];
      const anyPort = rnd(4) === 0;
      rules.push({ ...base, identity: [0, 500][rnd(2)], protocol, portStart: anyPort ? 0 : start, portEnd: anyPort ? 0 : end, action: rnd(3) === 0 ? 'deny' : 'allow', cookie: i + 1 });
    }
    const map = resolvePolicyEntries(rules);
    for (const protocol of [6, 17]) {
      for (let port = 0; port < 64; port++) {
        const matches = rules.filter((r) => (r.identity === 0 || r.identity === 500) && (r.protocol === 0 || r.protocol === protocol) &&
          ((r.portStart === 0 && r.portEnd === 0) || (port >= r.portStart && port <= r.portEnd)));
        const want = matches.some((r) => r.action === 'deny') ? 'deny' : matches.length ? 'allow' : 'none';
        const got = kernelDecision(map, { endpointId: 3, identity: 500, direction: 0, protocol, port });
        assert.equal(got.verdict, want, `round ${round} ${protocol}/${port}: ${JSON.stringify(rules)}`);
        if (want === 'deny') assert.ok(matches.some((r) => r.action === 'deny' && r.cookie === got.cookie), 'cookie names a matching deny');
      }
    }
  }
});

test('ICMP type 0 (echo-reply) is that type, not any type; 0..65535 is any type', () => {
  const icmp = (portStart: number, portEnd: number) => resolvePolicyEntries([{ endpointId: 1, direction: 'ingress', identity: 256, protocol: 1, portStart, portEnd, action: 'allow', cookie: 5 }]);
  assert.deepEqual(icmp(0, 0).map((e) => [e.port, e.prefixlen - POLICY_STATIC_PREFIX]), [[0, 24]]);
  assert.deepEqual(icmp(0, 0xffff).map((e) => [e.port, e.prefixlen - POLICY_STATIC_PREFIX]), [[0, 8]]);
});
