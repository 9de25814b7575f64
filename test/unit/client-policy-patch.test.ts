/**
 * The client's patch decision (src/client/policy-patch.ts): a patch is offered
 * only when the agent, patching its way (bundle-patch.ts), ends with exactly
 * the new bundle's policies in the new bundle's order; anything else is a
 * whole policy/apply.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch } from '../../src/agent/policy/bundle-patch';
import { patchFrom, sameWorkloads } from '../../src/client/policy-patch';
import { cookieOf, type PolicyBundle, type PolicyIR, type WorkloadIR } from '../../src/protocol/policy-ir';

const loc = { uri: 'file:///x.policy', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } } };
const pol = (name: string, port = 80): PolicyIR => ({
  id: `default/${name}`, cookie: cookieOf(`default/${name}`), name, namespace: 'default', source: loc, selectSource: loc,
  selector: { terms: [] },
  ingress: [{ id: `default/${name}/ingress/0`, cookie: cookieOf(`default/${name}/ingress/0`), action: 'allow', direction: 'ingress', peers: [], ports: [{ protocol: 'tcp', port }], text: `allow ${port}`, source: loc }],
});
const workload = (name: string, app = name): WorkloadIR => ({ name, namespace: 'default', labels: { app }, replicas: 1, source: loc });
const bundle = (policies: PolicyIR[], workloads = [workload('a'), workload('b')]): PolicyBundle => ({ version: 1, workloads, policies, expects: [] });

/** The policies the agent holds after patching `last` with what the client sends. */
function agentAfterPatch(last: PolicyBundle, next: PolicyBundle): string[] | undefined {
  const patch = patchFrom({ bundle: last, baseGeneration: 7 }, next);
  if (!patch) return undefined;
  assert.equal(patch.baseGeneration, 7);
  return applyPatch(last, patch).policies.map((p) => JSON.stringify(p));
}

test('a changed, an added and a removed policy patch to exactly the new bundle', () => {
  const last = bundle([pol('x'), pol('y'), pol('z')]);
  const next = bundle([pol('x', 8080), pol('z'), pol('w')]);
  assert.deepEqual(agentAfterPatch(last, next), next.policies.map((p) => JSON.stringify(p)));
  const patch = patchFrom({ bundle: last, baseGeneration: 1 }, next)!;
  assert.deepEqual(patch.upsert.map((p) => p.id), ['default/x', 'default/w'], 'unchanged policies are not sent');
  assert.deepEqual(patch.remove, ['default/y']);
});

test('an order the agent cannot reach by patching is a whole apply', () => {
  // The agent appends new policies and keeps replaced ones in place: a new one first, or a reorder, is unreachable.
  assert.equal(patchFrom({ bundle: bundle([pol('x'), pol('y')]), baseGeneration: 1 }, bundle([pol('w'), pol('x'), pol('y')])), undefined);
  assert.equal(patchFrom({ bundle: bundle([pol('x'), pol('y')]), baseGeneration: 1 }, bundle([pol('y'), pol('x')])), undefined);
});

test('changed workloads are a whole deploy: lab/apply first, never a patch', () => {
  const last = bundle([pol('x')]);
  const relabelled = bundle([pol('x', 8080)], [workload('a'), workload('b', 'other')]);
  assert.equal(sameWorkloads(last, relabelled), false);
  assert.equal(patchFrom({ bundle: last, baseGeneration: 1 }, relabelled), undefined);
  // Expects and source ranges are not the agent's business: a moved workload line is the same lab.
  const moved = { ...bundle([pol('x')]), workloads: [workload('a'), { ...workload('b'), source: { ...loc, range: { start: { line: 9, character: 0 }, end: { line: 9, character: 1 } } } }] };
  assert.equal(sameWorkloads(last, moved), true);
});

test('no change at all is an empty patch, not a whole apply', () => {
  const last = bundle([pol('x'), pol('y')]);
  assert.deepEqual(patchFrom({ bundle: last, baseGeneration: 3 }, bundle([pol('x'), pol('y')])), { baseGeneration: 3, upsert: [], remove: [] });
});
