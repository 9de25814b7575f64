/**
 * applyPatch's id check (bundle-patch.ts) works from an index handed along the
 * chain of patches: it must refuse exactly what a whole-bundle check refuses,
 * also after earlier patches, refused patches and removals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch } from '../../src/agent/policy/bundle-patch';
import { cookieOf, type PolicyBundle, type PolicyIR } from '../../src/protocol/policy-ir';

const loc = { uri: 'file:///x.policy', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } } };
/** A policy whose rules have the given ids. */
const pol = (name: string, ruleIds: string[]): PolicyIR => ({
  id: `default/${name}`, cookie: cookieOf(`default/${name}`), name, namespace: 'default', source: loc, selectSource: loc,
  selector: { terms: [] },
  ingress: ruleIds.map((id) => ({ id, cookie: cookieOf(id), action: 'allow', direction: 'ingress', peers: [], ports: [], text: id, source: loc })),
});
const bundle = (...policies: PolicyIR[]): PolicyBundle => ({ version: 1, workloads: [], policies, expects: [] });

test('ids are checked against the patched bundle along a chain of patches', () => {
  let b = bundle(pol('a', ['r1', 'r2']), pol('b', ['r3']));
  // A policy may reuse its own rule ids, or take ids its old version or a removed policy gave up.
  b = applyPatch(b, { upsert: [pol('a', ['r1', 'r4'])], remove: [] });
  b = applyPatch(b, { upsert: [pol('c', ['r2', 'r3'])], remove: ['default/b'] });
  assert.deepEqual(b.policies.map((p) => p.id), ['default/a', 'default/c']);
  // Taken by another kept policy, or twice within the patch: refused, and the base stays usable.
  assert.throws(() => applyPatch(b, { upsert: [pol('d', ['r4'])], remove: [] }), /rule id "r4" is used twice/);
  assert.throws(() => applyPatch(b, { upsert: [pol('d', ['r9']), pol('e', ['r9'])], remove: [] }), /used twice/);
  assert.throws(() => applyPatch(b, { upsert: [pol('d', ['default/a'])], remove: [] }), /used twice/);
  b = applyPatch(b, { upsert: [pol('d', ['r9'])], remove: [] });
  // r9 is now d's: a later patch cannot give it to e, but can once d is removed.
  assert.throws(() => applyPatch(b, { upsert: [pol('e', ['r9'])], remove: [] }), /used twice/);
  b = applyPatch(b, { upsert: [pol('e', ['r9'])], remove: ['default/d'] });
  assert.deepEqual(b.policies.map((p) => p.id), ['default/a', 'default/c', 'default/e']);
});
