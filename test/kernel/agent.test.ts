/**
 * The agent end to end, on the real kernel: spawned from source as a child,
 * spoken to over its stdio with vscode-jsonrpc, building real namespaces and
 * sending real packets. Needs root. Every test uses its own lab name and
 * removes its namespaces, pins, state and the agent process, also on failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import {
  AgentErrorCode, AGENT_PROTOCOL_VERSION, DatapathLoad, FlowsSubscribe, Hello, LabApply, LabStatus, LabTeardown,
  PolicyApply, Probe, Shutdown, type LabWorkloadSpec,
} from '../../src/protocol/agent-rpc';
import { ifindexOf } from './datapath-fixture';
import { removeLabAfter, rpcError, startAgentForTest, uniqueLab } from './support/agent-under-test';
import { cookieOf, type LabelSelector, type Peer, type PolicyBundle, type PolicyIR, type PortRule, type RuleIR, type SourceLocation } from '../../src/protocol/policy-ir';

const root = path.resolve(__dirname, '../..');

function netnsWithPrefix(prefix: string): string[] {
  try {
    return fs.readdirSync('/var/run/netns').filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
}

const shopWorkloads: LabWorkloadSpec[] = [
  { name: 'frontend', namespace: 'default', labels: { app: 'frontend' }, replicas: 2 },
  { name: 'backend', namespace: 'default', labels: { app: 'backend' }, replicas: 1 },
  { name: 'db', namespace: 'default', labels: { app: 'db' }, replicas: 1 },
];

test('agent: lab apply is idempotent and diffs, probes run inside the lab, bad requests get errors', async (t) => {
  const lab = uniqueLab('ta');
  const { connection, child, stderr } = startAgentForTest(t, lab);

  const hello = await connection.sendRequest(Hello, { clientVersion: 'test', protocolVersion: AGENT_PROTOCOL_VERSION });
  assert.equal(hello.capabilities.root, true);
  assert.equal(hello.protocolVersion, AGENT_PROTOCOL_VERSION);
  assert.ok(hello.capabilities.tools.ip, 'ip is found and versioned');
  assert.equal(await connection.sendRequest(LabStatus), null);

  const first = await connection.sendRequest(LabApply, { workloads: shopWorkloads });
  assert.equal(first.name, lab);
  assert.equal(first.endpoints.length, 4);
  const fe = first.endpoints.filter((e) => e.workload === 'frontend');
  assert.equal(fe.length, 2);
  assert.equal(fe[0]!.identity, fe[1]!.identity, 'replicas share an identity');
  assert.ok(fe[0]!.identity >= 256);
  for (const e of first.endpoints) {
    assert.match(e.ip, /^10\.244\.\d+\.\d+$/);
    assert.ok(e.ifname.length <= 15, `${e.ifname} fits IFNAMSIZ`);
    assert.ok(fs.existsSync(`/var/run/netns/${e.netns}`), `${e.netns} exists`);
  }

  // Idempotent: the same workloads change nothing.
  const again = await connection.sendRequest(LabApply, { workloads: shopWorkloads });
  assert.deepEqual(again, first);

  // Probes: no datapath loaded, so everything inside the lab connects.
  const tcp = await connection.sendRequest(Probe, { from: 'frontend', to: 'backend', protocol: 'tcp', port: 8080, timeoutMs: 1000 });
  assert.equal(tcp.verdict, 'allowed', JSON.stringify(tcp));
  assert.equal(tcp.outcome, 'connected');
  const udp = await connection.sendRequest(Probe, { from: 'default/frontend', to: 'db', protocol: 'udp', port: 53, timeoutMs: 1000 });
  assert.equal(udp.outcome, 'reply');
  const icmp = await connection.sendRequest(Probe, { from: 'db', to: 'frontend', protocol: 'icmp' });
  assert.equal(icmp.outcome, 'reply');

  // Diff: backend scaled to 2, db removed; frontend endpoints keep namespace, address and id.
  const scaled = await connection.sendRequest(LabApply, {
    workloads: [shopWorkloads[0]!, { ...shopWorkloads[1]!, replicas: 2 }],
  });
  assert.deepEqual(scaled.endpoints.filter((e) => e.workload === 'frontend'), fe);
  assert.equal(scaled.endpoints.filter((e) => e.workload === 'backend').length, 2);
  assert.equal(scaled.endpoints.some((e) => e.workload === 'db'), false);
  const dbNetns = first.endpoints.find((e) => e.workload === 'db')!.netns;
  assert.equal(fs.existsSync(`/var/run/netns/${dbNetns}`), false, 'the removed endpoint namespace is gone');

  // Bad requests: each gets an error naming the problem, and the agent keeps serving.
  const unknown = await rpcError(connection.sendRequest(Probe, { from: 'frontend', to: 'nosuch', protocol: 'tcp', port: 80 }));
  assert.equal(unknown.code, AgentErrorCode.UnknownWorkload);
  assert.match(unknown.message, /nosuch/);
  const shell = await rpcError(connection.sendRequest(LabApply, { lab: 'x;rm -rf', workloads: [] }));
  assert.equal(shell.code, AgentErrorCode.BadRequest);
  assert.match(shell.message, /^lab: /);
  const badName = await rpcError(connection.sendRequest(LabApply, { workloads: [{ name: 'a$(reboot)', namespace: 'default', labels: {}, replicas: 1 }] }));
  assert.match(badName.message, /workloads\[0\]\.name/);
  const badPort = await rpcError(connection.sendRequest(Probe, { from: 'frontend', to: 'backend', protocol: 'tcp', port: 70000 }));
  assert.match(badPort.message, /^port: /);
  const noParams = await rpcError(connection.sendRequest('lab/apply', null));
  assert.equal(noParams.code, AgentErrorCode.BadRequest);
  const unknownMethod = await rpcError(connection.sendRequest('lab/nosuch', {}));
  assert.equal(unknownMethod.code, -32601);
  assert.equal((await connection.sendRequest(LabStatus))?.endpoints.length, 4, 'still serving');

  await connection.sendRequest(LabTeardown);
  assert.deepEqual(netnsWithPrefix(`ps-${lab}-`), [], 'teardown leaves no namespace of the lab');
  assert.equal(await connection.sendRequest(LabStatus), null);
  assert.equal(fs.existsSync(`/run/policy-studio/${lab}`), false);

  await connection.sendRequest(Shutdown);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, stderr());
});

test('agent: a restarted agent re-adopts its lab, and exits when stdin closes', async (t) => {
  const lab = uniqueLab('tr');
  const a = startAgentForTest(t, lab);
  const before = await a.connection.sendRequest(LabApply, { workloads: shopWorkloads.slice(0, 2) });
  a.child.stdin!.end();
  const code = await new Promise<number | null>((resolve) => a.child.once('exit', resolve));
  assert.equal(code, 0);
  assert.equal(netnsWithPrefix(`ps-${lab}-`).length, 4, 'the lab outlives the agent');

  const b = startAgentForTest(t, lab);
  const hello = await b.connection.sendRequest(Hello, { clientVersion: 'test', protocolVersion: AGENT_PROTOCOL_VERSION });
  assert.deepEqual(hello.lab, before);
  const after = await b.connection.sendRequest(LabApply, { workloads: [...shopWorkloads.slice(0, 2), shopWorkloads[2]!] });
  assert.deepEqual(after.endpoints.slice(0, 3), before.endpoints, 'existing endpoints and identities kept');

  // Switching labs leaves the first one running; switching back re-adopts it.
  const other = uniqueLab('ts');
  removeLabAfter(t, other);
  const second = await b.connection.sendRequest(LabApply, { lab: other, workloads: shopWorkloads.slice(2) });
  assert.equal(second.name, other);
  assert.equal(netnsWithPrefix(`ps-${other}-`).length, 2);
  await b.connection.sendRequest(LabTeardown);
  assert.deepEqual(netnsWithPrefix(`ps-${other}-`), []);
  assert.equal(netnsWithPrefix(`ps-${lab}-`).length, 5, 'the first lab is untouched');
  const back = await b.connection.sendRequest(LabApply, { lab, workloads: [...shopWorkloads.slice(0, 2), shopWorkloads[2]!] });
  assert.deepEqual(back, after);

  await b.connection.sendRequest(LabTeardown);
  assert.deepEqual(netnsWithPrefix(`ps-${lab}-`), []);
});

// ---- the whole loop: lab, datapath, policy, real packets, flow events with the deciding rule ----

const at = (line: number): SourceLocation => ({ uri: 'file:///test/shop.policy', range: { start: { line, character: 2 }, end: { line, character: 40 } } });
const app = (v: string): LabelSelector => ({ terms: [{ key: 'app', operator: 'in', values: [v] }] });
const from = (v: string): Peer => ({ kind: 'selector', selector: app(v) });

function ingressRule(policyId: string, index: number, action: 'allow' | 'deny', peers: Peer[], ports: PortRule[], line: number, text: string): RuleIR {
  const id = `${policyId}/ingress/${index}`;
  return { id, cookie: cookieOf(id), action, direction: 'ingress', peers, ports, text, source: at(line) };
}

function ingressPolicy(name: string, select: string, rules: (id: string) => RuleIR[], line: number): PolicyIR {
  const id = `default/${name}`;
  return {
    id, cookie: cookieOf(id), name, namespace: 'default', selector: app(select), ingress: rules(id),
    source: at(line), selectSource: at(line + 1),
  };
}

const backendPolicy = ingressPolicy('backend-ingress', 'backend', (id) => [
  ingressRule(id, 0, 'allow', [from('frontend')], [{ protocol: 'tcp', port: 8080 }], 12, 'allow from app == "frontend" to port 8080/tcp'),
  ingressRule(id, 1, 'deny', [from('db')], [], 13, 'deny from app == "db"'),
], 10);
const dbPolicy = ingressPolicy('db-ingress', 'db', (id) => [
  ingressRule(id, 0, 'allow', [from('backend')], [{ protocol: 'tcp', port: 5432 }], 22, 'allow from app == "backend" to port 5432/tcp'),
  ingressRule(id, 1, 'allow', [from('frontend')], [{ protocol: 'udp', port: 53 }], 23, 'allow from app == "frontend" to port 53/udp'),
], 20);
const shopBundle: PolicyBundle = { version: 1, workloads: [], policies: [backendPolicy, dbPolicy], expects: [] };

test('agent: policy enforced on real packets, drops explained by rule or default deny', async (t) => {
  const lab = uniqueLab('te');
  const { connection, child, stderr, batches } = startAgentForTest(t, lab);
  await connection.sendRequest(Hello, { clientVersion: 'test', protocolVersion: AGENT_PROTOCOL_VERSION });
  const state = await connection.sendRequest(LabApply, { workloads: shopWorkloads });
  await connection.sendRequest(FlowsSubscribe, {});

  const notLoaded = await rpcError(connection.sendRequest(PolicyApply, { bundle: shopBundle }));
  assert.equal(notLoaded.code, AgentErrorCode.NotReady);

  const build = await connection.sendRequest(DatapathLoad, {});
  assert.equal(build.ok, true, `${build.verifierLog}\n${stderr()}`);
  assert.ok(build.programs.length > 0);

  const applied = await connection.sendRequest(PolicyApply, { bundle: shopBundle });
  assert.equal(applied.generation, 1);
  assert.ok(applied.entriesWritten > 0);
  const enforcing = Object.fromEntries(applied.enforcing.map((e) => [e.endpoint, e.ingress]));
  assert.deepEqual(enforcing, { 'default/frontend-0': false, 'default/frontend-1': false, 'default/backend-0': true, 'default/db-0': true });
  const idOf = (w: string) => state.endpoints.find((e) => e.workload === w)!.identity;
  assert.ok(applied.identities.some((i) => i.id === idOf('backend') && i.labels['k8s:app'] === 'backend'));

  const probe = (fromW: string, toW: string, protocol: 'tcp' | 'udp' | 'icmp', port?: number) =>
    connection.sendRequest(Probe, protocol === 'icmp' ? { from: fromW, to: toW, protocol, timeoutMs: 1000 } : { from: fromW, to: toW, protocol, port, timeoutMs: 1000 });

  const allowed = await probe('frontend', 'backend', 'tcp', 8080);
  assert.equal(allowed.verdict, 'allowed', JSON.stringify(allowed));
  assert.equal(allowed.flow?.verdict, 'forwarded', JSON.stringify(allowed.flow));
  assert.equal(allowed.flow?.ruleId, backendPolicy.ingress![0]!.id);
  assert.equal(allowed.flow?.src.workload, 'default/frontend');
  assert.equal(allowed.flow?.dst.workload, 'default/backend');
  // Delivered directly, the packet is decided where it enters the node from the sender's veth: that veth's index, as ip link numbers it.
  const veth = (ip: string | undefined) => state.endpoints.find((e) => e.ip === ip)!.ifname;
  assert.equal(allowed.flow?.ifindex, ifindexOf(state.nodeNetns, veth(allowed.flow?.src.ip)));

  const defaultDeny = await probe('frontend', 'backend', 'tcp', 9999);
  assert.equal(defaultDeny.verdict, 'denied', JSON.stringify(defaultDeny));
  assert.equal(defaultDeny.outcome, 'timeout');
  assert.equal(defaultDeny.flow?.verdict, 'dropped');
  assert.equal(defaultDeny.flow?.dropReason, 133);
  assert.equal(defaultDeny.flow?.policyId, backendPolicy.id);
  assert.deepEqual(defaultDeny.flow?.source, backendPolicy.selectSource);
  assert.equal(defaultDeny.flow?.direction, 'ingress');
  assert.equal(defaultDeny.flow?.src.identity, idOf('frontend'));

  const denyRule = await probe('db', 'backend', 'tcp', 8080);
  assert.equal(denyRule.verdict, 'denied', JSON.stringify(denyRule));
  assert.equal(denyRule.flow?.dropReason, 181);
  assert.equal(denyRule.flow?.ruleId, backendPolicy.ingress![1]!.id);
  assert.equal(denyRule.flow?.ruleText, 'deny from app == "db"');
  assert.deepEqual(denyRule.flow?.source, at(13));

  const udpAllowed = await probe('frontend', 'db', 'udp', 53);
  assert.equal(udpAllowed.verdict, 'allowed', JSON.stringify(udpAllowed));
  assert.equal(udpAllowed.outcome, 'reply');
  assert.equal(udpAllowed.flow?.ruleId, dbPolicy.ingress![1]!.id);

  const udpDenied = await probe('backend', 'db', 'udp', 53);
  assert.equal(udpDenied.verdict, 'denied', JSON.stringify(udpDenied));
  assert.equal(udpDenied.flow?.dropReason, 133);
  assert.equal(udpDenied.flow?.policyId, dbPolicy.id);

  // frontend has no ingress policy; the echo reply into backend (default deny) passes through conntrack.
  const icmp = await probe('backend', 'frontend', 'icmp');
  assert.equal(icmp.verdict, 'allowed', JSON.stringify(icmp));

  // The same drops reached the subscribed client as batched notifications.
  await new Promise((r) => setTimeout(r, 300));
  const streamed = batches.flatMap((b) => b.flows);
  assert.ok(streamed.some((f) => f.dropReason === 181 && f.ruleId === backendPolicy.ingress![1]!.id), 'deny-rule drop streamed');
  assert.ok(streamed.some((f) => f.dropReason === 133 && f.policyId === backendPolicy.id), 'default-deny drop streamed');
  const hostVeths = new Set(state.endpoints.map((e) => ifindexOf(state.nodeNetns, e.ifname)));
  assert.ok(streamed.every((f) => f.ifindex !== undefined && hostVeths.has(f.ifindex)), 'every streamed flow names a host-side veth of the lab by its index');

  // A bad request mid-session does not disturb the agent.
  const bad = await rpcError(connection.sendRequest(PolicyApply, { bundle: { ...shopBundle, version: 99 } as unknown as PolicyBundle }));
  assert.match(bad.message, /^bundle\.version: /);
  assert.equal((await probe('frontend', 'backend', 'tcp', 8080)).verdict, 'allowed');

  // Restart: the pins kept enforcing without an agent; a new agent re-adopts the datapath and explains drops again.
  child.stdin!.end();
  assert.equal(await new Promise<number | null>((resolve) => child.once('exit', resolve)), 0);
  const next = startAgentForTest(t, lab);
  const hello = await next.connection.sendRequest(Hello, { clientVersion: 'test', protocolVersion: AGENT_PROTOCOL_VERSION });
  assert.equal(hello.datapath?.loaded, true, next.stderr());
  const probe2 = (fromW: string, toW: string, port: number) =>
    next.connection.sendRequest(Probe, { from: fromW, to: toW, protocol: 'tcp', port, timeoutMs: 1000 });
  const afterRestart = await probe2('frontend', 'backend', 9999);
  assert.equal(afterRestart.verdict, 'denied');
  assert.equal(afterRestart.flow?.policyId, backendPolicy.id, JSON.stringify(afterRestart));

  // A lab change while the datapath runs: new endpoints are attached and the policy recompiled for them.
  const changed = await next.connection.sendRequest(LabApply, {
    workloads: [{ ...shopWorkloads[0]!, replicas: 1 }, shopWorkloads[1]!, shopWorkloads[2]!, { name: 'admin', namespace: 'default', labels: { app: 'admin' }, replicas: 1 }],
  });
  assert.equal(changed.endpoints.length, 4);
  assert.deepEqual(changed.endpoints.find((e) => e.workload === 'backend'), state.endpoints.find((e) => e.workload === 'backend'));
  const admin = await probe2('admin', 'backend', 8080);
  assert.equal(admin.verdict, 'denied', JSON.stringify(admin));
  assert.equal(admin.flow?.dropReason, 133);
  assert.equal((await probe2('frontend', 'backend', 8080)).flow?.ruleId, backendPolicy.ingress![0]!.id);

  await next.connection.sendRequest(LabTeardown);
  assert.deepEqual(netnsWithPrefix(`ps-${lab}-`), []);
  assert.equal(fs.existsSync(`/sys/fs/bpf/policy-studio/${lab}`), false, 'pins removed');
});

test('agent: survives malformed JSON and a thousand bad requests, and answers after', async (t) => {
  const lab = uniqueLab('tm');
  const { connection, child } = startAgentForTest(t, lab);
  await connection.sendRequest(Hello, { clientVersion: 'test', protocolVersion: AGENT_PROTOCOL_VERSION });
  // A frame whose body is not JSON, written straight onto the agent's stdin.
  const garbage = '{"jsonrpc":"2.0","id":99,"method":';
  child.stdin!.write(`Content-Length: ${Buffer.byteLength(garbage)}\r\n\r\n${garbage}`);
  const bad: unknown[] = [
    null, 42, 'x', [], {}, { workloads: 'no' }, { workloads: [null] }, { workloads: [{ name: '../../etc' }] },
    { workloads: [{ name: 'a', labels: { 'bad key!': 'v' } }] }, { workloads: [{ name: 'a', replicas: -1 }] },
    { lab: 'A', workloads: [] }, { lab: '$(id)', workloads: [] },
  ];
  const errors = await Promise.all(Array.from({ length: 1000 }, (_, i) =>
    rpcError(connection.sendRequest(i % 3 === 0 ? 'lab/probe' : 'lab/apply', bad[i % bad.length]))));
  assert.ok(errors.every((e) => e.code === AgentErrorCode.BadRequest), errors.find((e) => e.code !== AgentErrorCode.BadRequest)?.message);
  const wrongVersion = await rpcError(connection.sendRequest(Hello, { clientVersion: 'test', protocolVersion: 999 }));
  assert.match(wrongVersion.message, /^protocolVersion: /);
  const hello = await connection.sendRequest(Hello, { clientVersion: 'test', protocolVersion: AGENT_PROTOCOL_VERSION });
  assert.equal(hello.protocolVersion, AGENT_PROTOCOL_VERSION);
  assert.equal(child.exitCode, null, 'still running');
  assert.deepEqual(netnsWithPrefix(`ps-${lab}-`), [], 'no bad request created anything');
});

test('agent: without root, privileged methods answer NotPrivileged and say what to do', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/agent/main.ts'), '--lab', uniqueLab('tn')], {
    cwd: root, stdio: ['pipe', 'pipe', 'pipe'], uid: 65534, gid: 65534, env: { ...process.env, HOME: '/tmp' },
  });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  connection.listen();
  t.after(() => {
    connection.dispose();
    if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
  });
  const hello = await connection.sendRequest(Hello, { clientVersion: 'test', protocolVersion: AGENT_PROTOCOL_VERSION });
  assert.equal(hello.capabilities.root, false);
  assert.ok(hello.capabilities.missing.some((m) => /root/.test(m)));
  const e = await rpcError(connection.sendRequest(LabApply, { workloads: shopWorkloads }));
  assert.equal(e.code, AgentErrorCode.NotPrivileged);
  assert.match(e.message, /root.*sudo/);
  const d = await rpcError(connection.sendRequest(DatapathLoad, {}));
  assert.equal(d.code, AgentErrorCode.NotPrivileged);
});

test('agent: the bundled dist/agent.js runs its own probe helpers inside the lab', async (t) => {
  assert.ok(fs.existsSync(path.join(root, 'dist/agent.js')), 'dist/agent.js is built (npm run build): missing, this test fails rather than skips');
  const lab = uniqueLab('tb');
  const { connection } = startAgentForTest(t, lab, { entry: 'bundle' });
  await connection.sendRequest(LabApply, { workloads: shopWorkloads.slice(0, 2) });
  const tcp = await connection.sendRequest(Probe, { from: 'frontend', to: 'backend', protocol: 'tcp', port: 8080, timeoutMs: 1000 });
  assert.equal(tcp.outcome, 'connected');
  const udp = await connection.sendRequest(Probe, { from: 'backend', to: 'frontend', protocol: 'udp', port: 5353, timeoutMs: 1000 });
  assert.equal(udp.outcome, 'reply');
  await connection.sendRequest(LabTeardown);
  assert.deepEqual(netnsWithPrefix(`ps-${lab}-`), []);
});
