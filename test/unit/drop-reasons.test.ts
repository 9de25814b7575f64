/**
 * bpf/lib/drop.h and src/protocol/drop-reasons.ts must carry the same drop
 * reason numbers (Cilium's): the kernel writes them, the editor explains them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DropReason, dropReasonText, describeDropReason } from '../../src/protocol/drop-reasons';

function dropHeaderCodes(): Map<string, number> {
  const header = readFileSync(resolve(__dirname, '../../bpf/lib/drop.h'), 'utf8');
  const codes = new Map<string, number>();
  for (const m of header.matchAll(/^#define\s+(DROP_\w+)\s+(\d+)\b/gm)) codes.set(m[1], Number(m[2]));
  return codes;
}

test('drop.h declares exactly the drop reasons the protocol knows', () => {
  const c = dropHeaderCodes();
  assert.ok(c.size > 0, 'drop.h has DROP_ defines');
  assert.deepEqual([...c.values()].sort((a, b) => a - b), Object.values(DropReason).sort((a, b) => a - b));
});

test('each drop reason has Cilium\'s number', () => {
  const c = dropHeaderCodes();
  assert.equal(c.get('DROP_POLICY'), 133);
  assert.equal(c.get('DROP_INVALID'), 134);
  assert.equal(c.get('DROP_CT_INVALID_HDR'), 135);
  assert.equal(c.get('DROP_CT_UNKNOWN_PROTO'), 137);
  assert.equal(c.get('DROP_POLICY_DENY'), 181);
  assert.equal(c.get('DROP_FRAG_NOT_FOUND'), 175);
  assert.equal(DropReason.PolicyDenied, c.get('DROP_POLICY'));
  assert.equal(DropReason.PolicyDenyRule, c.get('DROP_POLICY_DENY'));
});

test('every drop reason has a text', () => {
  for (const code of dropHeaderCodes().values()) {
    assert.ok(dropReasonText[code], `text for ${code}`);
    assert.equal(describeDropReason(code), dropReasonText[code]);
  }
  assert.match(describeDropReason(999), /Unknown drop reason 999/);
});
