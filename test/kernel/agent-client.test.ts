/**
 * The deploy sequence of src/client/agent-client.ts against the real agent
 * and kernel: a first deploy applies the whole bundle, an edit of policies
 * only is a patch, a patch the agent refuses (another client applied
 * meanwhile: stale base) falls back to a whole apply, and changed workloads
 * rebuild the lab. Each step is checked by a real probe, not by the outcome's
 * own word.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentClient } from '../../src/client/agent-client';
import { PolicyApply, type ProbeResult } from '../../src/protocol/agent-rpc';
import { bundle, eq, peerOf, policy, workload } from './support/bundle-builder';
import { startAgentForTest, uniqueLab } from './support/agent-under-test';

const clientW = workload('client', { app: 'client' });
const serverW = workload('server', { app: 'server' });
/** server admits client on these TCP ports only. */
const serverIn = (...ports: number[]) => policy('server-in', [eq('app', 'server')], {
  ingress: [{ action: 'allow', peers: [peerOf(eq('app', 'client'))], ports: ports.map((port) => ({ protocol: 'tcp' as const, port })) }],
});
const other = policy('other-in', [eq('app', 'other')], { ingress: [] });

test('the client\'s deploy sequence: apply, patch, refused patch → apply, new workloads → new lab', async (t) => {
  const lab = uniqueLab('ac');
  const agent = startAgentForTest(t, lab);
  const client = new AgentClient(agent.connection, { localDelivery: 'direct' });
  const hello = await client.hello('agent-client-test');
  assert.equal(hello.capabilities.root, true);
  const verdict = async (port: number, from = 'client'): Promise<ProbeResult['verdict']> =>
    (await client.probe({ from, to: 'server', protocol: 'tcp', port, timeoutMs: 1000 })).verdict;

  await t.test('the first deploy builds the lab, loads the datapath and applies the whole bundle', async () => {
    const outcome = await client.deploy(bundle([clientW, serverW], [serverIn(80)]));
    assert.equal(outcome.ok, true, outcome.error);
    assert.equal(outcome.policyUpdate, 'apply');
    assert.equal(outcome.lab?.endpoints.length, 2);
    assert.ok(outcome.datapath?.ok);
    assert.equal(await verdict(80), 'allowed');
    assert.equal(await verdict(81), 'denied');
  });

  await t.test('an edit of policies only is a patch of the changed ones', async () => {
    const outcome = await client.deploy(bundle([clientW, serverW], [serverIn(80, 81), other]));
    assert.equal(outcome.ok, true, outcome.error);
    assert.equal(outcome.policyUpdate, 'patch');
    assert.equal(await verdict(81), 'allowed');
  });

  await t.test('a patch refused after another client\'s apply falls back to the whole bundle', async () => {
    // Another client (same agent, same lab) applies its own bundle: this client's base is stale now.
    await agent.connection.sendRequest(PolicyApply, { bundle: bundle([clientW, serverW], [serverIn(82)]) });
    assert.equal(await verdict(80), 'denied', 'the other client\'s policy is enforced');
    const outcome = await client.deploy(bundle([clientW, serverW], [serverIn(80, 81, 83), other]));
    assert.equal(outcome.ok, true, outcome.error);
    assert.equal(outcome.policyUpdate, 'apply');
    for (const port of [80, 81, 83]) assert.equal(await verdict(port), 'allowed', `port ${port}`);
    assert.equal(await verdict(82), 'denied', 'nothing of the other client\'s bundle is left');
  });

  await t.test('changed workloads rebuild the lab before the policies go', async () => {
    const outcome = await client.deploy(bundle([clientW, serverW, workload('third', { app: 'client' })], [serverIn(80, 81, 83), other]));
    assert.equal(outcome.ok, true, outcome.error);
    assert.equal(outcome.policyUpdate, 'apply', 'a patch is only for the lab it was made against');
    assert.deepEqual(outcome.lab?.endpoints.map((e) => e.workload).sort(), ['client', 'server', 'third']);
    assert.equal(await verdict(83, 'third'), 'allowed', 'the new workload has the identity the policy names');
    assert.equal(await verdict(84, 'third'), 'denied');
  });

  await client.teardown();
});
