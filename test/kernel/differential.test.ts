/**
 * Differential test (issue 3): for random policy bundles and random probes,
 * the language server's static evaluator (src/language-server/evaluator.ts)
 * and the kernel must agree on every verdict. The kernel side is a real probe
 * in a lab through the agent over JSON-RPC; the bundle goes through the
 * agent's identity allocation, policy compiler, map writes and the BPF
 * programs. Bundles come from a seeded PRNG: the seed is printed, and
 * DIFF_SEED=<n> replays a run. DIFF_BUNDLES / DIFF_PROBES widen it. The agent
 * is dist/agent.js when built (probes start much faster), else the sources.
 *
 * A probe whose kernel verdict disagrees is repeated once with a long
 * timeout before it counts, so a slow reply on a loaded machine is not a
 * mismatch; a real disagreement is stable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DatapathLoad, LabApply, PolicyApply, Probe, type ProbeParams, type ProbeResult } from '../../src/protocol/agent-rpc';
import type { PolicyBundle } from '../../src/protocol/policy-ir';
import { removeLabLeftovers } from '../harness/lab-cleanup';
import { REPO_ROOT, startAgent, uniqueLab } from './support/agent-under-test';
import { labWorkloads } from './support/bundle-builder';
import { Dice, prng, randomBundle, randomProbe, type Probe as RandomProbe } from './support/random-policy';

const SEED = process.env.DIFF_SEED ? Number(process.env.DIFF_SEED) : Date.now() % 1_000_000;
const BUNDLES = Number(process.env.DIFF_BUNDLES ?? 3);
const PROBES = Number(process.env.DIFF_PROBES ?? 20);
const FAST_TIMEOUT_MS = 700;
const RECHECK_TIMEOUT_MS = 3000;

interface Mismatch { bundle: number; probe: RandomProbe; evaluator: string; kernel: string; steps: string[]; flow: unknown }

function probeParams(p: RandomProbe, timeoutMs: number): ProbeParams {
  return p.protocol === 'icmp' ? { from: p.from, to: p.to, protocol: 'icmp', timeoutMs } : { from: p.from, to: p.to, protocol: p.protocol, port: p.port!, timeoutMs };
}

test(`differential: the static evaluator and the kernel agree on random policies (seed ${SEED})`, async (t) => {
  const lab = uniqueLab('df');
  const agent = startAgent(lab, { entry: 'bundle' });
  t.after(async () => {
    agent.dispose();
    await removeLabLeftovers(lab);
  });
  t.diagnostic(`seed ${SEED} (replay: DIFF_SEED=${SEED} node --import tsx --test test/kernel/differential.test.ts)`);
  // The language server is ESM (langium is ESM-only); this test, like the agent, is CommonJS.
  const { trace } = await import('../../src/language-server/evaluator.js') as typeof import('../../src/language-server/evaluator.js');
  const d = new Dice(prng(SEED));
  await agent.hello();

  // Random probes of a random bundle are mostly allowed: draw candidates until
  // half the probes are ones the evaluator denies (when the bundle has any), so
  // every run puts both verdicts to the kernel.
  const balancedProbes = (bundle: PolicyBundle) => {
    const want = { allowed: Math.ceil(PROBES / 2), denied: Math.floor(PROBES / 2) };
    const picked: { probe: RandomProbe; expected: ReturnType<typeof trace> }[] = [];
    const spare: typeof picked = [];
    for (let tries = 0; picked.length < PROBES && tries < PROBES * 50; tries++) {
      const probe = randomProbe(d, bundle);
      const expected = trace(bundle, probe.from, probe.to, probe.port, probe.protocol);
      const verdict = expected.verdict as 'allowed' | 'denied';
      if (want[verdict] > 0) {
        want[verdict]--;
        picked.push({ probe, expected });
      } else spare.push({ probe, expected });
    }
    return picked.concat(spare.slice(0, PROBES - picked.length));
  };

  const mismatches: Mismatch[] = [];
  const bundles: PolicyBundle[] = [];
  const tally = { allowed: 0, denied: 0, rechecked: 0 };
  for (let b = 0; b < BUNDLES; b++) {
    const bundle = randomBundle(d);
    bundles.push(bundle);
    await agent.connection.sendRequest(LabApply, { workloads: labWorkloads(bundle) });
    if (b === 0) {
      const build = await agent.connection.sendRequest(DatapathLoad, {});
      assert.equal(build.ok, true, build.verifierLog);
    }
    await agent.connection.sendRequest(PolicyApply, { bundle });
    for (const { probe, expected } of balancedProbes(bundle)) {
      let got: ProbeResult = await agent.connection.sendRequest(Probe, probeParams(probe, FAST_TIMEOUT_MS));
      if (got.verdict !== expected.verdict) {
        tally.rechecked++;
        got = await agent.connection.sendRequest(Probe, probeParams(probe, RECHECK_TIMEOUT_MS));
      }
      tally[got.verdict]++;
      if (got.verdict !== expected.verdict) {
        mismatches.push({ bundle: b, probe, evaluator: expected.verdict, kernel: `${got.verdict} (${got.outcome})`, steps: expected.steps, flow: got.flow });
      }
    }
  }
  t.diagnostic(`${BUNDLES} bundles × ${PROBES} probes: ${tally.allowed} allowed, ${tally.denied} denied, ${tally.rechecked} rechecked, ${mismatches.length} mismatches`);
  if (mismatches.length > 0) {
    const dir = path.join(REPO_ROOT, 'test-results');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `differential-${SEED}.json`);
    fs.writeFileSync(file, JSON.stringify({ seed: SEED, mismatches, bundles }, null, 2));
    const lines = mismatches.map((m) => `  bundle ${m.bundle}: ${m.probe.from} -> ${m.probe.to} ${m.probe.protocol}${m.probe.port ? `/${m.probe.port}` : ''}: evaluator ${m.evaluator}, kernel ${m.kernel}\n    ${m.steps.join('\n    ')}\n    flow: ${JSON.stringify(m.flow)}`);
    assert.fail(`seed ${SEED}: ${mismatches.length} verdicts differ (bundles and details in ${file}):\n${lines.join('\n')}`);
  }
  // Both verdicts must occur, or the test proves little.
  assert.ok(tally.allowed > 0 && tally.denied > 0, `seed ${SEED}: a run needs both verdicts (${JSON.stringify(tally)})`);
});
