/**
 * policy/patch on the agent's side: the last applied bundle with policies
 * replaced (by id, keeping their place), appended or removed. Unchanged
 * policies stay the same objects, which is what lets the compile cache skip
 * hashing them.
 *
 * Ids stay unique across the patched bundle (as validate.ts demands of a full
 * bundle). Checking that costs in proportion to the patch, not the bundle:
 * the set of its ids is built once for a bundle and handed on to
 * the bundle its patch gives (patches form a chain from the last apply).
 */
import type { PolicyPatchParams } from '../../protocol/agent-rpc';
import type { PolicyBundle, PolicyIR } from '../../protocol/policy-ir';
import { badRequest } from '../rpc/validate';

/** Every policy and rule id of a bundle. */
type IdIndex = Set<string>;
const indexes = new WeakMap<PolicyBundle, IdIndex>();

export function applyPatch(base: PolicyBundle, patch: Pick<PolicyPatchParams, 'upsert' | 'remove'>): PolicyBundle {
  const upserts = new Map(patch.upsert.map((p) => [p.id, p]));
  const removed = new Set(patch.remove);
  for (const id of removed) {
    if (upserts.has(id)) throw badRequest(`remove: policy ${JSON.stringify(id)} is also in upsert`);
  }
  const policies: PolicyIR[] = [];
  const replaced: PolicyIR[] = [];
  for (const p of base.policies) {
    const replacement = upserts.get(p.id);
    if (removed.has(p.id) || replacement) replaced.push(p);
    if (removed.has(p.id)) continue;
    policies.push(replacement ?? p);
    upserts.delete(p.id);
  }
  policies.push(...upserts.values());

  const index = indexes.get(base) ?? indexOf(base.policies);
  for (const p of replaced) for (const [id] of idsOf(p)) index.delete(id);
  try {
    for (const p of patch.upsert) for (const [id, what] of idsOf(p)) claim(index, id, what);
  } catch (err) {
    // The base's index is no longer exact; the next patch of it builds a new one.
    indexes.delete(base);
    throw err;
  }
  indexes.delete(base);
  const next = { ...base, policies };
  indexes.set(next, index);
  return next;
}

function indexOf(policies: readonly PolicyIR[]): IdIndex {
  const index: IdIndex = new Set();
  for (const p of policies) for (const [id, what] of idsOf(p)) claim(index, id, what);
  return index;
}

function claim(index: IdIndex, id: string, what: string): void {
  if (index.has(id)) throw badRequest(`upsert: ${what} id ${JSON.stringify(id)} is used twice in the patched bundle`);
  index.add(id);
}

function* idsOf(p: PolicyIR): Generator<[id: string, what: string]> {
  yield [p.id, 'policy'];
  for (const r of p.ingress ?? []) yield [r.id, 'rule'];
  for (const r of p.egress ?? []) yield [r.id, 'rule'];
}
