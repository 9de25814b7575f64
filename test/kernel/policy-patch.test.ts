/**
 * policy/patch on a real lab with real traffic: a patch that adds a port to
 * one policy of several opens it (the other policies keep enforcing), a patch
 * that removes a policy closes what only it allowed, the resulting entries
 * equal those of a full policy/apply of the same bundle, and a stale base
 * generation is refused (StaleBase) without changing anything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { AgentErrorCode, DatapathLoad, FlowsPackedNotification, FlowsSubscribe, type FlowBatchPacked, LabApply, MapsDump, PolicyApply, PolicyPatch, type EndpointState, type MapsDumpResult } from '../../src/protocol/agent-rpc';
import { removeLabLeftovers } from '../harness/lab-cleanup';
import { receivedFlows } from '../harness/received-flows';
import { rpcError, startAgent, uniqueLab } from './support/agent-under-test';
import { bundle, eq, labWorkloads, peerOf, policy, workload, type RuleSpec } from './support/bundle-builder';
import { startServers, tcpConnects } from './policy-fixture';

const workloads = [workload('client', { app: 'client' }), workload('server', { app: 'server' })];
const allowTcp = (port: number): RuleSpec => ({ action: 'allow', peers: [peerOf(eq('app', 'client'))], ports: [{ protocol: 'tcp', port }] });
/** Policy i allows client → server on TCP 7000+i (and, when `extra`, 7100+i). */
const serverPolicy = (i: number, extra = false) =>
  policy(`p${i}`, [eq('app', 'server')], { ingress: extra ? [allowTcp(7000 + i), allowTcp(7100 + i)] : [allowTcp(7000 + i)] });
const policyEntries = (d: MapsDumpResult) => {
  const live = d.maps.filter((m) => /^ps_policy/.test(m.name));
  return live.map((m) => m.entries.map((e) => JSON.stringify([e.key, e.value])).sort());
};

test('policy/patch changes one policy of several and refuses a stale base', async (t) => {
  const lab = uniqueLab('pp');
  // The sources, not dist/: this file tests the agent as it is in the tree.
  const agent = startAgent(lab);
  let servers: ChildProcess | undefined;
  t.after(async () => {
    if (servers?.pid) { try { process.kill(servers.pid, 'SIGKILL'); } catch { /* gone */ } }
    agent.dispose();
    await removeLabLeftovers(lab);
  });
  await agent.hello();
  const c = agent.connection;
  const base = bundle(workloads, [0, 1, 2].map((i) => serverPolicy(i)));
  const state = await c.sendRequest(LabApply, { workloads: labWorkloads(base) });
  const ep = (w: string) => state.endpoints.find((e: EndpointState) => e.workload === w)!;
  assert.ok((await c.sendRequest(DatapathLoad, {})).ok);
  servers = await startServers(ep('server').netns, ep('server').ip, [7000, 7001, 7002, 7101], []);
  const connects = (port: number) => tcpConnects(ep('client').netns, ep('server').ip, port);

  const applied = await c.sendRequest(PolicyApply, { bundle: base });
  assert.equal(typeof applied.baseGeneration, 'number');
  assert.deepEqual([await connects(7001), await connects(7101)], [true, false], 'before the patch: 7001 open, 7101 closed');

  const patched = await c.sendRequest(PolicyPatch, { baseGeneration: applied.baseGeneration!, upsert: [serverPolicy(1, true)], remove: [] });
  assert.equal(patched.entriesWritten > 0, true);
  assert.notEqual(patched.baseGeneration, applied.baseGeneration);
  assert.deepEqual([await connects(7000), await connects(7101), await connects(7002)], [true, true, true], 'the patch opened 7101 and kept the rest');

  const stale = await rpcError(c.sendRequest(PolicyPatch, { baseGeneration: applied.baseGeneration!, remove: ['default/p1'], upsert: [] }));
  assert.equal(stale.code, AgentErrorCode.StaleBase);
  assert.match(stale.message, /policy\/apply/);
  assert.equal(await connects(7101), true, 'a refused patch changes nothing');

  const removed = await c.sendRequest(PolicyPatch, { baseGeneration: patched.baseGeneration!, upsert: [], remove: ['default/p1'] });
  assert.deepEqual([await connects(7001), await connects(7101), await connects(7000)], [false, false, true], 'removing p1 closed what only it allowed');

  // The patched state equals a full apply of the same bundle, entry for entry.
  const afterPatch = policyEntries(await c.sendRequest(MapsDump, { limit: 10_000 }));
  assert.ok(afterPatch.flat().length >= 2, 'the dump holds the policy entries');
  const full = await c.sendRequest(PolicyApply, { bundle: bundle(workloads, [serverPolicy(0), serverPolicy(2)]) });
  assert.equal(full.entriesWritten + full.entriesDeleted, 0, 'a full apply of the patched bundle has nothing left to write');
  assert.deepEqual(policyEntries(await c.sendRequest(MapsDump, { limit: 10_000 })), afterPatch);
  void removed;

  // flows/subscribe: typed columns (flows/batchPacked) built from the loader's binary frames, read as the extension reads them.
  const packed: FlowBatchPacked[] = [];
  c.onNotification(FlowsPackedNotification, (b) => { packed.push(b); });
  await c.sendRequest(FlowsSubscribe, {});
  assert.equal(await connects(7000), true);
  for (let i = 0; i < 30 && !packed.some((b) => b.count > 0); i++) await new Promise((r) => setTimeout(r, 100));
  const packedSyn = packed.flatMap((b) => receivedFlows(b).flows).find((e) => e.dst.port === 7000 && e.direction === 'ingress');
  assert.ok(packedSyn, `a packed flow event for the connection to 7000 (got ${packed.length} batches)`);
  assert.equal(packedSyn.ruleId, 'default/p0/ingress/0');
  assert.equal(packedSyn.src.workload, 'default/client');

  // A form that is gone is refused by name, not answered with silence.
  const compactAsked = await rpcError(c.sendRequest(FlowsSubscribe, { compact: true } as never));
  assert.equal(compactAsked.code, AgentErrorCode.BadRequest);
  assert.match(compactAsked.message, /^compact: flows\/batchCompact is gone/);

  const bad = await rpcError(c.sendRequest(PolicyPatch, { baseGeneration: full.baseGeneration!, upsert: [{ ...serverPolicy(3), ingress: serverPolicy(0).ingress }], remove: [] }));
  assert.equal(bad.code, AgentErrorCode.BadRequest, 'a rule id used twice across the patched bundle is refused');
});
