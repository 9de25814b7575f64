/** sameJson (same-json.ts): equal exactly when the JSON texts are equal up to key order. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sameJson } from '../../src/agent/policy/same-json';

test('sameJson compares parsed JSON structurally', () => {
  const a = { id: 'p', rules: [{ ports: [{ port: 80 }], peers: [] }, { text: 'x', n: null }], on: true };
  assert.ok(sameJson(a, JSON.parse(JSON.stringify(a))));
  assert.ok(sameJson({ x: 1, y: [2] }, { y: [2], x: 1 }));
  for (const b of [
    { ...a, on: false }, { ...a, extra: 1 }, { id: 'p', rules: a.rules },
    { ...a, rules: [a.rules[0], { text: 'x', n: 0 }] }, { ...a, rules: [a.rules[0]] }, { ...a, rules: { 0: a.rules[0], 1: a.rules[1] } },
  ]) assert.ok(!sameJson(a, b), JSON.stringify(b));
  assert.ok(!sameJson([], {}));
  assert.ok(!sameJson(null, {}));
  assert.ok(!sameJson('1', 1));
});
