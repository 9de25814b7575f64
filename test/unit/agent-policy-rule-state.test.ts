/**
 * PolicyRuleState (datapath/policy-rule-state.ts) keeps the ps_policy rule
 * entries up to date per policy part. Whatever sequence of part changes
 * (replace, add, remove, reorder, denies across parts), its rules must be
 * exactly what resolving the whole bundle at once gives, and its deltas must
 * turn the previous rules into the new ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { policyEntryHex, policyKeyHex } from '../../src/agent/datapath/hex-keys';
import { resolvePolicyEntries } from '../../src/agent/datapath/policy-entries';
import { PolicyRuleState, type RawDelta } from '../../src/agent/datapath/policy-rule-state';
import type { PolicyEntry } from '../../src/agent/datapath/types';

/** xorshift32: a reproducible stream (RULE_STATE_SEED replays a run). */
function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x % n;
  };
}

function wholeResolution(parts: readonly (readonly PolicyEntry[])[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of resolvePolicyEntries(parts.flat())) out.set(policyKeyHex(e), policyEntryHex(e));
  return out;
}

function randomPart(r: (n: number) => number, denyOdds: number, cookieBase: number): PolicyEntry[] {
  return Array.from({ length: 1 + r(6) }, (_, i) => {
    const portStart = [0, 80, 443, 9000, 9050][r(5)]!;
    const portEnd = portStart === 0 ? 0 : portStart + [0, 0, 7, 100][r(4)]!;
    return {
      endpointId: 1 + r(2), direction: r(2) ? 'ingress' : 'egress', identity: [0, 256, 257][r(3)]!,
      protocol: [0, 6, 17][r(3)]!, portStart, portEnd, action: r(denyOdds) === 0 ? 'deny' : 'allow', cookie: cookieBase + i,
    } as PolicyEntry;
  });
}

function applyDelta(map: Map<string, string>, delta: RawDelta): Map<string, string> {
  const out = new Map(map);
  for (const [k, v] of delta) {
    if (v === undefined) out.delete(k);
    else out.set(k, v);
  }
  return out;
}

test('random part changes: the rules always equal the whole bundle resolved at once', () => {
  const seed = Number(process.env.RULE_STATE_SEED ?? Date.now() % 100_000);
  const r = rng(seed);
  for (const denyOdds of [1_000_000, 8, 2]) {
    const state = new PolicyRuleState();
    let parts: PolicyEntry[][] = Array.from({ length: 6 }, (_, i) => randomPart(r, denyOdds, i * 100));
    let before = new Map<string, string>();
    for (let step = 0; step < 300; step++) {
      const delta = state.update(parts, true);
      const want = wholeResolution(parts);
      assert.deepEqual(new Map(state.current), want, `seed ${seed}, deny odds ${denyOdds}, step ${step}`);
      assert.deepEqual(applyDelta(before, delta), want, `delta at seed ${seed}, step ${step}`);
      before = want;
      // Next: replace, add, remove or move a part (unchanged parts keep their array object).
      parts = [...parts];
      const i = r(parts.length);
      const cookieBase = 1000 + step * 100;
      switch (r(6)) {
        case 0: parts.push(randomPart(r, denyOdds, cookieBase)); break;
        case 1: if (parts.length > 1) parts.splice(i, 1); break;
        case 2: parts.splice(i, 0, parts.splice(r(parts.length), 1)[0]!); break;
        default: parts[i] = randomPart(r, denyOdds, cookieBase);
      }
    }
  }
});

test('a one-rule change among many deny-free policies touches only that rule\'s key', () => {
  const allow = (port: number, cookie: number): PolicyEntry =>
    ({ endpointId: 2, direction: 'ingress', identity: 256, protocol: 6, portStart: port, portEnd: port, action: 'allow', cookie });
  const parts = Array.from({ length: 100 }, (_, p) => Array.from({ length: 100 }, (_, i) => allow(30000 + p * 100 + i, p * 100 + i + 1)));
  const state = new PolicyRuleState();
  assert.equal(state.update(parts, true).size, 10_000);
  const changed = [...parts];
  changed[0] = [...parts[0]!, { ...allow(9100, 7), protocol: 17 }];
  const delta = state.update(changed, true);
  assert.equal(delta.size, 1);
  assert.deepEqual(new Map(state.current), wholeResolution(changed));
  // Back again: the key goes.
  assert.deepEqual([...state.update(parts, true).values()], [undefined]);
});

test('a deny in one policy overrides an allow of another, and its removal gives the allow back', () => {
  const entry = (action: 'allow' | 'deny', portStart: number, portEnd: number, cookie: number): PolicyEntry =>
    ({ endpointId: 1, direction: 'ingress', identity: 256, protocol: 6, portStart, portEnd, action, cookie });
  const allows = [entry('allow', 80, 80, 1)];
  const other = [entry('allow', 9000, 9000, 3)];
  const deny = [entry('deny', 0, 1023, 2)];
  const state = new PolicyRuleState();
  state.update([allows, other], true);
  const withDeny = state.update([allows, other, deny], true);
  const port80 = policyKeyHex({ prefixlen: resolvePolicyEntries(allows)[0]!.prefixlen, endpointId: 1, identity: 256, direction: 0, protocol: 6, port: 80 });
  assert.equal(withDeny.get(port80), policyEntryHex({ deny: true, cookie: 2 }));
  assert.deepEqual(new Map(state.current), wholeResolution([allows, other, deny]));
  const without = state.update([allows, other], true);
  assert.equal(without.get(port80), policyEntryHex({ deny: false, cookie: 1 }));
  assert.deepEqual(new Map(state.current), wholeResolution([allows, other]));
});

test('rules adopted from the kernel are diffed against the first update', () => {
  const entries: PolicyEntry[] = [{ endpointId: 1, direction: 'egress', identity: 0, protocol: 17, portStart: 53, portEnd: 53, action: 'allow', cookie: 9 }];
  const adopted = wholeResolution([entries]);
  adopted.set('ff'.repeat(16), '00'.repeat(8));
  const state = new PolicyRuleState(new Map(adopted));
  const delta = state.update([entries], false);
  assert.deepEqual([...delta], [['ff'.repeat(16), undefined]]);
});
