/**
 * The agent over JSON-RPC on a real lab with real traffic: a CIDR peer with
 * `except` and an entity, policy changes applied as one generation while an
 * established TCP connection keeps working (Cilium's choice) and new ones are
 * denied, trace-all switched at run time (flows/traceAll), per-CPU counters
 * (datapath/counters), decoded and paged map dumps (maps/dump), and clear
 * errors for bad requests to the new methods.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AgentErrorCode, AGENT_PROTOCOL_VERSION, DatapathCounters, DatapathLoad, FlowsSubscribe, FlowsTraceAll, Hello,
  LabApply, MapsDump, PolicyApply, Probe,
} from '../../src/protocol/agent-rpc';
import { cookieOf, type PolicyBundle, type RuleIR, type SourceLocation } from '../../src/protocol/policy-ir';
import { rpcError, startAgentForTest } from './support/agent-under-test';
import { openTcpSession, startServers, tcpConnects } from './policy-fixture';

const at = (line: number): SourceLocation => ({ uri: 'file:///lab.policy', range: { start: { line, character: 0 }, end: { line, character: 10 } } });

function rule(policy: string, dir: 'ingress' | 'egress', i: number, r: Omit<RuleIR, 'id' | 'cookie' | 'direction' | 'text' | 'source'>): RuleIR {
  const id = `default/${policy}/${dir}/${i}`;
  return { id, cookie: cookieOf(id), direction: dir, text: `rule ${i}`, source: at(10 + i), ...r };
}

function bundle(dbRules: RuleIR[]): PolicyBundle {
  const app = (v: string) => ({ terms: [{ key: 'app', operator: 'in' as const, values: [v] }] });
  return {
    version: 1, expects: [],
    workloads: ['client', 'db'].map((name) => ({ name, namespace: 'default', labels: { app: name }, replicas: 1, source: at(1) })),
    policies: [{
      id: 'default/db', cookie: cookieOf('default/db'), name: 'db', namespace: 'default', selector: app('db'),
      ingress: dbRules, source: at(5), selectSource: at(6),
    }],
  };
}

test('agent RPC on a real lab: CIDR/entity peers, established connections across a policy change, trace-all, counters, maps/dump', async (t) => {
  const lab = `pr${(process.pid % 1296).toString(36)}${(Date.now() % 1296).toString(36)}`.slice(0, 8);
  const { connection, batches, stderr } = startAgentForTest(t, lab);
  await connection.sendRequest(Hello, { clientVersion: 'test', protocolVersion: AGENT_PROTOCOL_VERSION });
  const state = await connection.sendRequest(LabApply, { workloads: [
    { name: 'client', namespace: 'default', labels: { app: 'client' }, replicas: 1 },
    { name: 'db', namespace: 'default', labels: { app: 'db' }, replicas: 1 },
  ] });
  const build = await connection.sendRequest(DatapathLoad, {});
  assert.equal(build.ok, true, `${build.verifierLog}\n${stderr()}`);
  const client = state.endpoints.find((e) => e.workload === 'client')!;
  const db = state.endpoints.find((e) => e.workload === 'db')!;

  // client may reach db:5432 (selector), :6000 by its lab /16 minus the node's /24 (CIDR except), and host may reach :7000.
  const allow5432 = rule('db', 'ingress', 0, { action: 'allow', peers: [{ kind: 'selector', selector: { terms: [{ key: 'app', operator: 'in', values: ['client'] }] } }], ports: [{ protocol: 'tcp', port: 5432 }] });
  const cidr6000 = rule('db', 'ingress', 1, { action: 'allow', peers: [{ kind: 'cidr', cidr: '10.244.0.0/16', except: ['10.244.0.0/24'] }], ports: [{ protocol: 'tcp', port: 6000 }] });
  const host7000 = rule('db', 'ingress', 2, { action: 'allow', peers: [{ kind: 'entity', entity: 'host' }], ports: [{ protocol: 'tcp', port: 7000 }] });
  const first = await connection.sendRequest(PolicyApply, { bundle: bundle([allow5432, cidr6000, host7000]) });
  assert.equal(first.generation, 1);
  const cidrIdentity = first.identities.find((i) => i.labels['cidr:10.244.0.0/16'] !== undefined);
  assert.ok(cidrIdentity && cidrIdentity.id > 1 << 24, JSON.stringify(first.identities));

  const server = await startServers(db.netns, db.ip, [5432], []);
  t.after(() => { server.kill('SIGKILL'); });
  const probe = (port: number) => connection.sendRequest(Probe, { from: 'client', to: 'db', protocol: 'tcp', port, timeoutMs: 1000 });

  await t.test('a workload is not matched by a CIDR rule or the host entity: its /32 identity is the longest prefix', async () => {
    // (CIDR allows for addresses outside the lab are covered packet by packet in policy-semantics.test.ts.)
    assert.equal((await probe(6000)).verdict, 'denied');
    assert.equal((await probe(7000)).verdict, 'denied', 'host entity does not cover a workload');
  });

  const session = await openTcpSession(client.netns, db.ip, 5432);
  t.after(() => session.close());
  assert.equal(await session.send(), true, 'established before the change');

  await t.test('a policy that no longer allows the connection keeps it (Cilium) and denies new ones, in one generation', async () => {
    const flipsBefore = (await connection.sendRequest(DatapathCounters)).policyGeneration;
    const second = await connection.sendRequest(PolicyApply, { bundle: bundle([cidr6000, host7000]) });
    assert.equal(second.generation, 2);
    assert.equal((await connection.sendRequest(DatapathCounters)).policyGeneration, flipsBefore + 1, 'the change became visible in one flip');
    for (let i = 0; i < 5; i++) assert.equal(await session.send(), true, `message ${i} on the established connection`);
    // A new connection to the same server (our echo server holds the port, so not a probe).
    const dropsBefore = (await connection.sendRequest(DatapathCounters)).drops.find((d) => d.reason === 133)?.count ?? 0;
    assert.equal(await tcpConnects(client.netns, db.ip, 5432), false, 'a new connection is denied');
    const dropsAfter = (await connection.sendRequest(DatapathCounters)).drops.find((d) => d.reason === 133)?.count ?? 0;
    assert.ok(dropsAfter > dropsBefore, 'dropped by default deny (133)');
  });

  await t.test('flows/traceAll switches every-packet events on and off at run time', async () => {
    await connection.sendRequest(FlowsSubscribe, {});
    await connection.sendRequest(FlowsTraceAll, { traceAll: true });
    batches.length = 0;
    assert.equal(await session.send(), true);
    await new Promise((r) => setTimeout(r, 400));
    const traced = batches.flatMap((b) => b.flows).filter((f) => f.match === 'ct-established' || f.match === 'ct-reply');
    assert.ok(traced.length >= 2, `request and reply packets traced: ${traced.length}`);
    await connection.sendRequest(FlowsTraceAll, { traceAll: false });
    await new Promise((r) => setTimeout(r, 250));
    batches.length = 0;
    assert.equal(await session.send(), true);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(batches.flatMap((b) => b.flows).filter((f) => f.match.startsWith('ct-')).length, 0);
    assert.ok(batches.every((b) => b.lost === 0));
  });

  await t.test('datapath/counters: forwarded, drops by reason with texts', async () => {
    const c = await connection.sendRequest(DatapathCounters);
    assert.ok(c.counters.forwarded! > 0 && c.counters.packets! >= c.counters.forwarded!, JSON.stringify(c));
    const policyDenied = c.drops.find((d) => d.reason === 133);
    assert.ok(policyDenied && policyDenied.count >= 2 && policyDenied.text === 'Policy denied', JSON.stringify(c.drops));
    assert.equal(c.ringbufFull, 0);
  });

  await t.test('maps/dump: decoded entries with identities, rules and sources; paging', async () => {
    const all = await connection.sendRequest(MapsDump, {});
    const names = all.maps.map((m) => m.name);
    for (const n of ['ps_endpoints', 'ps_ipcache0', 'ps_ipcache1', 'ps_policy0', 'ps_policy1', 'ps_active', 'ps_ct', 'ps_counters', 'ps_drops', 'ps_config']) assert.ok(names.includes(n), n);
    const slot = (all.maps.find((m) => m.name === 'ps_active')!.entries[0]!.value as { slot: number }).slot;
    const ipcache = all.maps.find((m) => m.name === `ps_ipcache${slot}`)!;
    const dbEntry = ipcache.entries.find((e) => e.key.cidr === `${db.ip}/32`)!;
    assert.equal(dbEntry.identity?.id, db.identity);
    assert.equal(dbEntry.identity?.labels['k8s:app'], 'db');
    const cidrEntry = ipcache.entries.find((e) => e.key.cidr === '10.244.0.0/16')!;
    assert.equal(cidrEntry.identity?.labels['cidr:10.244.0.0/16'], '');
    const policy = all.maps.find((m) => m.name === `ps_policy${slot}`)!;
    const hostRule = policy.entries.find((e) => e.key.identity === 1 && e.key.portStart === 7000)!;
    assert.equal(hostRule.rule?.ruleId, host7000.id);
    assert.deepEqual(hostRule.rule?.source, host7000.source);
    assert.equal(hostRule.identity?.labels['reserved:host'], '');
    const enforcement = policy.entries.find((e) => e.key.enforcement === true)!;
    assert.equal(enforcement.rule?.policyId, 'default/db');
    const ct = all.maps.find((m) => m.name === 'ps_ct')!;
    assert.ok(ct.entries.some((e) => e.key.dport === 5432 && e.value.state === 'established'), JSON.stringify(ct.entries.slice(0, 4)));
    assert.ok(ct.fill > 0 && ct.maxEntries === 65536);

    const page1 = await connection.sendRequest(MapsDump, { map: `ps_policy${slot}`, limit: 2 });
    assert.equal(page1.maps.length, 1);
    assert.equal(page1.maps[0]!.entries.length, 2);
    assert.ok(page1.maps[0]!.nextCursor);
    const page2 = await connection.sendRequest(MapsDump, { cursor: page1.maps[0]!.nextCursor!, limit: 100 });
    assert.equal(page1.maps[0]!.entries.length + page2.maps[0]!.entries.length, policy.fill);
    assert.equal(page2.maps[0]!.nextCursor, undefined);
  });

  await t.test('bad requests to the new methods get clear errors; the agent keeps answering', async () => {
    const flips = (await connection.sendRequest(DatapathCounters)).policyGeneration;
    const e1 = await rpcError(connection.sendRequest(FlowsTraceAll, { traceAll: 'yes' } as never));
    assert.equal(e1.code, AgentErrorCode.BadRequest);
    assert.match(e1.message, /^traceAll: expected true or false/);
    const e2 = await rpcError(connection.sendRequest(MapsDump, { map: 'ps_nope' }));
    assert.match(e2.message, /no datapath map "ps_nope"/);
    const e3 = await rpcError(connection.sendRequest(MapsDump, { map: '../../etc; rm -rf /' }));
    assert.equal(e3.code, AgentErrorCode.BadRequest);
    const e4 = await rpcError(connection.sendRequest(MapsDump, { cursor: 'ps_ct:x' }));
    assert.equal(e4.code, AgentErrorCode.BadRequest);
    const e5 = await rpcError(connection.sendRequest(MapsDump, { limit: 1e9 }));
    assert.match(e5.message, /^limit: /);
    const e6 = await rpcError(connection.sendRequest(PolicyApply, { bundle: bundle([{ ...cidr6000, peers: [{ kind: 'cidr', cidr: '10.0.0.0/33', except: [] }] }]) }));
    assert.equal(e6.code, AgentErrorCode.BadRequest);
    assert.equal((await connection.sendRequest(DatapathCounters)).policyGeneration, flips, 'a rejected apply changes nothing');
  });

  await t.test('a deploy does not wait for a slow probe: the policy change lands while a denied probe waits for its timeout', async () => {
    const order: string[] = [];
    const slow = connection.sendRequest(Probe, { from: 'client', to: 'db', protocol: 'tcp', port: 9999, timeoutMs: 4000 })
      .then((r) => { order.push('probe'); return r; });
    // Let the probe start before the change is sent.
    await new Promise((r) => setTimeout(r, 300));
    const applied = await connection.sendRequest(PolicyApply, { bundle: bundle([allow5432, cidr6000, host7000]) }).then((r) => { order.push('apply'); return r; });
    const probed = await slow;
    assert.deepEqual(order, ['apply', 'probe'], 'the apply answered while the probe was still waiting');
    assert.equal(probed.verdict, 'denied');
    assert.ok(applied.generation > 0);
  });
});
