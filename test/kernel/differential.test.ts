/**
 * Differential test (issue 3): for random policy bundles and random probes,
 * the language server's static evaluator (src/language-server/evaluator.ts)
 * and the kernel must agree on every verdict and on what decided it: the
 * evaluator's `decidedBy` is the rule (or, for a default deny, the policy)
 * whose cookie the kernel's flow event carries (support/deciding-rule.ts).
 * The kernel side is a real probe in a lab through the agent over JSON-RPC;
 * the bundle goes through the agent's identity allocation, policy compiler,
 * map writes and the BPF programs. Probes to addresses outside the lab
 * (world, CIDR peers) and from the node (the host entity) are real packets
 * from the workload's or the node's namespace (support/edge-probes.ts). Bundles come from a seeded PRNG: the seed is
 * printed, and DIFF_SEED=<n> replays a run. DIFF_BUNDLES / DIFF_PROBES change
 * its size (6 bundles × 40 probes by default). The agent is dist/agent.js
 * when built (probes start much faster), else the sources.
 *
 * A probe whose kernel verdict disagrees is repeated once with a long
 * timeout before it counts, so a slow reply on a loaded machine is not a
 * mismatch; a real disagreement is stable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DatapathLoad, FlowsSubscribe, LabApply, PolicyApply, Probe, type LabState, type ProbeParams, type ProbeResult } from '../../src/protocol/agent-rpc';
import type { PolicyBundle } from '../../src/protocol/policy-ir';
import { removeLabLeftovers } from '../harness/lab-cleanup';
import { REPO_ROOT, startAgent, uniqueLab } from './support/agent-under-test';
import { labWorkloads } from './support/bundle-builder';
import { checkDecision } from './support/deciding-rule';
import { EdgeProber, endpointOf } from './support/edge-probes';
import { Dice, OUTSIDE_ADDRESSES, prng, randomBundle, randomProbe, type Probe as RandomProbe } from './support/random-policy';

const SEED = process.env.DIFF_SEED ? Number(process.env.DIFF_SEED) : Date.now() % 1_000_000;
const BUNDLES = Number(process.env.DIFF_BUNDLES ?? 6);
const PROBES = Number(process.env.DIFF_PROBES ?? 40);
const FAST_TIMEOUT_MS = 700;
const RECHECK_TIMEOUT_MS = 3000;

interface Mismatch { bundle: number; probe: RandomProbe; evaluator: string; kernel: string; steps: string[]; flow: unknown }

function probeParams(p: RandomProbe, timeoutMs: number): ProbeParams {
  return p.protocol === 'icmp' ? { from: p.from, to: p.to, protocol: 'icmp', timeoutMs } : { from: p.from, to: p.to, protocol: p.protocol, port: p.port!, timeoutMs };
}

test(`differential: the static evaluator and the kernel agree on random policies, verdict and deciding rule (seed ${SEED})`, async (t) => {
  const labName = uniqueLab('df');
  const agent = startAgent(labName, { entry: 'bundle' });
  t.after(async () => {
    agent.dispose();
    await removeLabLeftovers(labName);
  });
  t.diagnostic(`seed ${SEED} (replay: DIFF_SEED=${SEED} node --import tsx --test test/kernel/differential.test.ts)`);
  // The language server is ESM (langium is ESM-only); this test, like the agent, is CommonJS.
  const { trace } = await import('../../src/language-server/evaluator.js') as typeof import('../../src/language-server/evaluator.js');
  const d = new Dice(prng(SEED));
  await agent.hello();
  // Probes to outside addresses read their verdict from the flow events.
  await agent.connection.sendRequest(FlowsSubscribe, {});
  const edge = new EdgeProber(agent.batches);

  // Random probes of a random bundle are mostly allowed: draw candidates until
  // half the probes are ones the evaluator denies (when the bundle has any), so
  // every run puts both verdicts to the kernel.
  const balancedProbes = (bundle: PolicyBundle) => {
    const want = { allowed: Math.ceil(PROBES / 2), denied: Math.floor(PROBES / 2) };
    const picked: { probe: RandomProbe; expected: ReturnType<typeof trace> }[] = [];
    const spare: typeof picked = [];
    for (let tries = 0; picked.length < PROBES && tries < PROBES * 50; tries++) {
      const probe = randomProbe(d, bundle);
      // A timestamp message has no id to tell two apart: a second one between the same two addresses, either
      // way, would meet the first one's conntrack entry (established, or its reply: they pass, as in Cilium)
      // instead of the policy. So one per pair of addresses — not of names: a later bundle's workloads may
      // get addresses an earlier one freed.
      if (probe.icmpType === 13) {
        const pair = [endpointOf(lab!, probe.from).ip, endpointOf(lab!, probe.to).ip].sort().join(' ');
        if (timestampPairs.has(pair)) continue;
        timestampPairs.add(pair);
      }
      const expected = trace(bundle, probe.from, probe.to, probe.port, probe.protocol, probe.icmpType);
      const verdict = expected.verdict as 'allowed' | 'denied';
      if (want[verdict] > 0) {
        want[verdict]--;
        picked.push({ probe, expected });
      } else spare.push({ probe, expected });
    }
    return picked.concat(spare.slice(0, PROBES - picked.length));
  };

  const timestampPairs = new Set<string>();
  const mismatches: Mismatch[] = [];
  const bundles: PolicyBundle[] = [];
  const tally = { allowed: 0, denied: 0, outside: 0, fromHost: 0, icmpTyped: 0, rechecked: 0, exact: 0, ambiguous: 0 };
  let lab: LabState | undefined;
  const kernelProbe = (probe: RandomProbe, timeoutMs: number): Promise<ProbeResult> =>
    probe.outside ? edge.toOutside(lab!, probe, timeoutMs)
      : probe.from === 'host' ? edge.fromHost(lab!, probe, timeoutMs)
      : probe.icmpType !== undefined ? edge.icmpOfType(lab!, probe)
      : agent.connection.sendRequest(Probe, probeParams(probe, timeoutMs));
  for (let b = 0; b < BUNDLES; b++) {
    const bundle = randomBundle(d);
    bundles.push(bundle);
    lab = await agent.connection.sendRequest(LabApply, { workloads: labWorkloads(bundle) });
    await edge.routeThroughNode(lab, OUTSIDE_ADDRESSES);
    if (b === 0) {
      const build = await agent.connection.sendRequest(DatapathLoad, {});
      assert.equal(build.ok, true, build.verifierLog);
    }
    await agent.connection.sendRequest(PolicyApply, { bundle });
    for (const { probe, expected } of balancedProbes(bundle)) {
      let got = await kernelProbe(probe, FAST_TIMEOUT_MS);
      if (got.verdict !== expected.verdict) {
        tally.rechecked++;
        got = await kernelProbe(probe, RECHECK_TIMEOUT_MS);
      }
      tally[got.verdict]++;
      if (probe.outside) tally.outside++;
      if (probe.from === 'host') tally.fromHost++;
      if (probe.icmpType !== undefined) tally.icmpTyped++;
      const differs = (kernel: string) => mismatches.push({ bundle: b, probe, evaluator: expected.verdict, kernel, steps: expected.steps, flow: got.flow });
      if (got.verdict !== expected.verdict) {
        differs(`${got.verdict} (${got.outcome})`);
        continue;
      }
      const decision = checkDecision(bundle, (other) => trace(other, probe.from, probe.to, probe.port, probe.protocol, probe.icmpType), expected.decidedBy, got.flow);
      if (decision.mismatch) differs(`${got.verdict} too, decided otherwise: ${decision.mismatch}`);
      else tally[decision.ambiguous ? 'ambiguous' : 'exact']++;
    }
  }
  t.diagnostic(`${BUNDLES} bundles × ${PROBES} probes: ${tally.allowed} allowed, ${tally.denied} denied, ${tally.outside} of them to outside addresses, ${tally.fromHost} from the host, ${tally.icmpTyped} crafted ICMP of type 0 or 13, ${tally.rechecked} rechecked; `
    + `deciding rule ${tally.exact} exact, ${tally.ambiguous} one of several matching; ${mismatches.length} mismatches`);
  if (mismatches.length > 0) {
    const dir = path.join(REPO_ROOT, 'test-results');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `differential-${SEED}.json`);
    fs.writeFileSync(file, JSON.stringify({ seed: SEED, mismatches, bundles }, null, 2));
    const lines = mismatches.map((m) => `  bundle ${m.bundle}: ${m.probe.from} -> ${m.probe.to} ${m.probe.protocol}${m.probe.port ? `/${m.probe.port}` : ''}: evaluator ${m.evaluator}, kernel ${m.kernel}\n    ${m.steps.join('\n    ')}\n    flow: ${JSON.stringify(m.flow)}`);
    assert.fail(`seed ${SEED}: ${mismatches.length} probes differ in verdict or deciding rule (bundles and details in ${file}):\n${lines.join('\n')}`);
  }
  // Both verdicts, probes outside the lab, from the host and of ICMP types must occur, or the test proves little.
  assert.ok(tally.allowed > 0 && tally.denied > 0 && tally.outside > 0 && tally.fromHost > 0 && tally.icmpTyped > 0, `seed ${SEED}: a run needs both verdicts, outside, host and typed ICMP probes (${JSON.stringify(tally)})`);
});
