/**
 * A chain of policy/patch calls leaves the kernel's maps exactly as a full
 * policy/apply of the same bundle would, and as a freshly started agent
 * computes them from scratch. Seeded random patches over a few policies with
 * allows and denies that cover each other across policies, selector, entity
 * and CIDR peers (with except), port ranges and any-port rules, so the
 * incremental paths (per-policy compile cache, per-part rule resolution,
 * delta commit into both slots) are checked against the whole computation.
 * PATCH_SEED replays a run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DatapathLoad, LabApply, MapsDump, PolicyApply, PolicyPatch, type MapsDumpResult } from '../../src/protocol/agent-rpc';
import type { Peer, PolicyBundle, PolicyIR, PortRule } from '../../src/protocol/policy-ir';
import { removeLabLeftovers } from '../harness/lab-cleanup';
import { startAgent, uniqueLab, type AgentUnderTest } from './support/agent-under-test';
import { bundle, eq, labWorkloads, peerOf, policy, workload, type RuleSpec } from './support/bundle-builder';

const workloads = [workload('web', { app: 'web', tier: 'front' }), workload('api', { app: 'api', tier: 'back' }), workload('db', { app: 'db', tier: 'back' })];
const APPS = ['web', 'api', 'db'];
const POLICIES = 5;
const STEPS = 15;

/** xorshift32, so a failing run can be replayed. */
function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x % n;
  };
}

/**
 * Mostly rules of policies selecting `api`, from `web` or any peer, on overlapping ports, a third of
 * them denies: so denies of one policy often cover allows of another in the same lookup group.
 */
function randomPolicy(r: (n: number) => number, i: number): PolicyIR {
  const peer = (): Peer => {
    switch (r(6)) {
      case 0: case 1: return peerOf(eq('app', 'web'));
      case 2: return peerOf(eq('tier', r(2) ? 'front' : 'back'));
      case 3: return { kind: 'entity', entity: (['world', 'host', 'cluster'] as const)[r(3)]! };
      default: {
        const net = r(4);
        return { kind: 'cidr', cidr: `172.16.${net}.0/24`, except: r(2) ? [`172.16.${net}.128/25`] : [] };
      }
    }
  };
  const ports = (): PortRule[] => {
    switch (r(4)) {
      case 0: return [];
      case 1: return [{ protocol: 'tcp', port: 8000 + r(4) }];
      case 2: return [{ protocol: 'any', port: 9000, endPort: 9000 + 50 * r(4) }];
      default: return [{ protocol: 'udp', port: 53 }, { protocol: 'tcp', port: 80 + r(3) }];
    }
  };
  const rules = (): RuleSpec[] => Array.from({ length: 1 + r(3) }, () => ({ action: r(3) === 0 ? 'deny' : 'allow', peers: r(5) ? [peer()] : [], ports: ports() }));
  const blocks: { ingress?: RuleSpec[]; egress?: RuleSpec[] } = { ingress: rules() };
  if (r(2)) blocks.egress = rules();
  return policy(`p${i}`, [eq('app', r(4) ? 'api' : APPS[r(3)]!)], blocks);
}

/** Both slots of ps_policy and ps_ipcache, decoded and sorted (maps/dump pages; one page holds these). */
async function policyMaps(agent: AgentUnderTest): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const map of ['ps_policy0', 'ps_policy1', 'ps_ipcache0', 'ps_ipcache1']) {
    const dump: MapsDumpResult = await agent.connection.sendRequest(MapsDump, { map, limit: 10_000 });
    out[map] = dump.maps[0]!.entries.map((e) => JSON.stringify([e.key, e.value])).sort();
  }
  return out;
}

test('policy/patch chains and policy/apply of the same bundles give identical maps', { timeout: 300_000 }, async (t) => {
  const seed = Number(process.env.PATCH_SEED ?? Date.now() % 100_000);
  const r = rng(seed);
  const lab = uniqueLab('pe');
  let agent = startAgent(lab);
  t.after(async () => {
    agent.dispose();
    await removeLabLeftovers(lab);
  });
  await agent.hello();
  // First, scripted: p0's deny covers p1's allow, then p0 loses its deny (the allow must come back);
  // then random patches.
  const fromWeb = [peerOf(eq('app', 'web'))];
  const denyAll = policy('p0', [eq('app', 'api')], { ingress: [{ action: 'deny', peers: fromWeb, ports: [] }] });
  const allow8000 = policy('p1', [eq('app', 'api')], { ingress: [{ action: 'allow', peers: fromWeb, ports: [{ protocol: 'tcp', port: 8000 }] }] });
  const scripted: PolicyIR[] = [policy('p0', [eq('app', 'api')], { ingress: [{ action: 'allow', peers: fromWeb, ports: [{ protocol: 'tcp', port: 9000 }] }] }), denyAll];
  let current: PolicyBundle = bundle(workloads, [denyAll, allow8000, ...Array.from({ length: POLICIES - 2 }, (_, i) => randomPolicy(r, i + 2))]);
  await agent.connection.sendRequest(LabApply, { workloads: labWorkloads(current) });
  assert.ok((await agent.connection.sendRequest(DatapathLoad, {})).ok);
  let base = (await agent.connection.sendRequest(PolicyApply, { bundle: current })).baseGeneration!;

  for (let step = 0; step < STEPS; step++) {
    const why = `seed ${seed}, step ${step}`;
    // Replace one or two policies, or remove one (a removed one comes back in a later step, appended).
    const upsert: PolicyIR[] = [];
    const remove: string[] = [];
    const present = new Set(current.policies.map((p) => p.name));
    const missing = Array.from({ length: POLICIES }, (_, i) => `p${i}`).filter((n) => !present.has(n));
    if (step < scripted.length) upsert.push(scripted[step]!);
    else if (missing.length && r(2)) upsert.push(randomPolicy(r, Number(missing[0]!.slice(1))));
    else if (r(4) === 0 && current.policies.length > 1) remove.push(current.policies[r(current.policies.length)]!.id);
    else for (const i of new Set([r(POLICIES), r(POLICIES)])) if (present.has(`p${i}`)) upsert.push(randomPolicy(r, i));
    const patched = await agent.connection.sendRequest(PolicyPatch, { baseGeneration: base, upsert, remove });
    const upserts = new Map(upsert.map((p) => [p.id, p]));
    const policies = current.policies.filter((p) => !remove.includes(p.id)).map((p) => upserts.get(p.id) ?? p);
    for (const p of upsert) if (!current.policies.some((q) => q.id === p.id)) policies.push(p);
    current = bundle(workloads, policies);

    const afterPatch = await policyMaps(agent);
    assert.deepEqual(afterPatch.ps_policy0, afterPatch.ps_policy1, `${why}: both policy slots hold the same entries`);
    assert.deepEqual(afterPatch.ps_ipcache0, afterPatch.ps_ipcache1, `${why}: both ipcache slots hold the same entries`);
    assert.ok(afterPatch.ps_policy0!.length > 0, `${why}: the policy map is not empty`);

    const full = await agent.connection.sendRequest(PolicyApply, { bundle: current });
    assert.equal(full.entriesWritten + full.entriesDeleted, 0, `${why}: a full apply of the patched bundle has nothing to write`);
    assert.deepEqual(full.identities, patched.identities, `${why}: same identities`);
    assert.deepEqual(await policyMaps(agent), afterPatch, `${why}: same maps after the full apply`);
    base = full.baseGeneration!;

    if (step === 0 || step % 3 === 2) {
      // A fresh agent (no caches) re-adopts the lab and computes the bundle from scratch: nothing may change.
      await agent.stop();
      agent = startAgent(lab);
      await agent.hello();
      const fresh = await agent.connection.sendRequest(PolicyApply, { bundle: current });
      assert.deepEqual(await policyMaps(agent), afterPatch, `${why}: a restarted agent's whole computation gives the same maps`);
      base = fresh.baseGeneration!;
    }
  }
});
