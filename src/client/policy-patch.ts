/**
 * Whether a deploy can send only the changed policies (policy/patch) instead
 * of the whole bundle: the pure half of the deploy sequence, no connection.
 */
import type { LabWorkloadSpec, PolicyPatchParams } from '../protocol/agent-rpc';
import type { PolicyBundle } from '../protocol/policy-ir';

/** What lab/apply takes from a bundle: the workloads, nothing of the policies or expects. */
export function labWorkloads(bundle: PolicyBundle): LabWorkloadSpec[] {
  return bundle.workloads.map((w) => ({ name: w.name, namespace: w.namespace, labels: w.labels, replicas: w.replicas }));
}

/** The same lab: a deploy of `b` after `a` needs no lab/apply (and no datapath/load). */
export function sameWorkloads(a: PolicyBundle, b: PolicyBundle): boolean {
  return JSON.stringify(labWorkloads(a)) === JSON.stringify(labWorkloads(b));
}

/** The bundle the agent last applied and the generation a patch of it starts from. */
export interface DeployedBundle { bundle: PolicyBundle; baseGeneration: number }

/**
 * policy/patch params that turn the deployed bundle into `bundle`, when only
 * policies changed and the agent's way of patching (replaced policies keep
 * their place, new ones are appended) gives this bundle's order.
 */
export function patchFrom(last: DeployedBundle, bundle: PolicyBundle): PolicyPatchParams | undefined {
  // The agent acts on the policies only (lab/apply takes the workloads); expects and source ranges
  // elsewhere in the bundle may differ, e.g. lines moved by the edit.
  if (last.bundle.version !== bundle.version || !sameWorkloads(last.bundle, bundle)) return undefined;
  const before = new Map(last.bundle.policies.map((p) => [p.id, JSON.stringify(p)]));
  const ids = bundle.policies.map((p) => p.id);
  const now = new Set(ids);
  const kept = last.bundle.policies.map((p) => p.id).filter((id) => now.has(id));
  if ([...kept, ...ids.filter((id) => !before.has(id))].join('\0') !== ids.join('\0')) return undefined;
  const upsert = bundle.policies.filter((p) => before.get(p.id) !== JSON.stringify(p));
  const remove = [...before.keys()].filter((id) => !now.has(id));
  return { baseGeneration: last.baseGeneration, upsert, remove };
}
