/**
 * policy/patch on the agent's side: the last applied bundle with policies
 * replaced (by id, keeping their place), appended or removed. Unchanged
 * policies stay the same objects, which is what lets the compile cache skip
 * hashing them.
 */
import type { PolicyPatchParams } from '../protocol/agent-rpc';
import type { PolicyBundle, PolicyIR } from '../protocol/policy-ir';
import { badRequest } from './validate';

export function applyPatch(base: PolicyBundle, patch: Pick<PolicyPatchParams, 'upsert' | 'remove'>): PolicyBundle {
  const upserts = new Map(patch.upsert.map((p) => [p.id, p]));
  const removed = new Set(patch.remove);
  for (const id of removed) {
    if (upserts.has(id)) throw badRequest(`remove: policy ${JSON.stringify(id)} is also in upsert`);
  }
  const policies: PolicyIR[] = [];
  for (const p of base.policies) {
    if (removed.has(p.id)) continue;
    const replacement = upserts.get(p.id);
    policies.push(replacement ?? p);
    upserts.delete(p.id);
  }
  policies.push(...upserts.values());
  assertUniqueIds(policies);
  return { ...base, policies };
}

/** Policy and rule ids are unique across the bundle, as validate.ts demands of a full bundle. */
function assertUniqueIds(policies: readonly PolicyIR[]): void {
  const ids = new Set<string>();
  const claim = (id: string, what: string) => {
    if (ids.has(id)) throw badRequest(`upsert: ${what} id ${JSON.stringify(id)} is used twice in the patched bundle`);
    ids.add(id);
  };
  for (const p of policies) {
    claim(p.id, 'policy');
    for (const r of p.ingress ?? []) claim(r.id, 'rule');
    for (const r of p.egress ?? []) claim(r.id, 'rule');
  }
}
