/**
 * The agent end to end, on the real kernel: spawned from source as a child,
 * spoken to over its stdio with vscode-jsonrpc, building real namespaces and
 * sending real packets. Needs root. Every test uses its own lab name and
 * removes its namespaces, pins, state and the agent process, also on failure.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, ResponseError, type MessageConnection } from 'vscode-jsonrpc/node';
import {
  AgentErrorCode, AGENT_PROTOCOL_VERSION, DatapathLoad, FlowsNotification, FlowsSubscribe, Hello, LabApply, LabStatus, LabTeardown,
  PolicyApply, Probe, Shutdown, type FlowBatch, type LabWorkloadSpec,
} from '../../src/protocol/agent-rpc';
import { cookieOf, type LabelSelector, type Peer, type PolicyBundle, type PolicyIR, type PortRule, type RuleIR, type SourceLocation } from '../../src/protocol/policy-ir';

const root = path.resolve(__dirname, '../..');
const isRoot = process.getuid?.() === 0;
const hasDatapath = fs.existsSync(path.join(root, 'src/agent/datapath/index.ts'));

interface RunningAgent { connection: MessageConnection; child: ChildProcess; stderr: () => string; batches: FlowBatch[] }

function uniqueLab(tag: string): string {
  // ^[a-z][a-z0-9]{0,7}$: a letter tag plus base-36 digits of pid and time, so parallel runs never collide.
  return `${tag}${(process.pid % 1296).toString(36)}${(Date.now() % 46656).toString(36)}`.slice(0, 8);
}

function netnsWithPrefix(prefix: string): string[] {
  try {
    return fs.readdirSync('/var/run/netns').filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
}

/** Start the agent from source and make sure it, and everything its lab created, is gone after the test. */
function startAgent(t: TestContext, lab: string): RunningAgent {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/agent/main.ts'), '--lab', lab], {
    cwd: root, stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-20_000); });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const batches: FlowBatch[] = [];
  connection.onNotification(FlowsNotification, (b) => batches.push(b));
  connection.listen();
  t.after(() => {
    connection.dispose();
    if (child.exitCode === null && child.pid) {
      try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
    }
    for (const ns of netnsWithPrefix(`ps-${lab}-`)) {
      try { execFileSync('ip', ['netns', 'del', ns]); } catch { /* already gone */ }
    }
    fs.rmSync(`/sys/fs/bpf/policy-studio/${lab}`, { recursive: true, force: true });
    fs.rmSync(`/run/policy-studio/${lab}`, { recursive: true, force: true });
  });
  return { connection, child, stderr: () => stderr, batches };
}

async function rpcError(p: Promise<unknown>): Promise<ResponseError<unknown>> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ResponseError) return e;
    throw e;
  }
  assert.fail('expected a JSON-RPC error');
}

const shopWorkloads: LabWorkloadSpec[] = [
  { name: 'frontend', namespace: 'default', labels: { app: 'frontend' }, replicas: 2 },
  { name: 'backend', namespace: 'default', labels: { app: 'backend' }, replicas: 1 },
  { name: 'db', namespace: 'default', labels: { app: 'db' }, replicas: 1 },
];

test('agent: lab apply is idempotent and diffs, probes run inside the lab, bad requests get errors', { skip: !isRoot && 'needs root' }, async (t) => {
  const lab = uniqueLab('ta');
  const { connection, child, stderr } = startAgent(t, lab);

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

test('agent: a restarted agent re-adopts its lab, and exits when stdin closes', { skip: !isRoot && 'needs root' }, async (t) => {
  const lab = uniqueLab('tr');
  const a = startAgent(t, lab);
  const before = await a.connection.sendRequest(LabApply, { workloads: shopWorkloads.slice(0, 2) });
  a.child.stdin!.end();
  const code = await new Promise<number | null>((resolve) => a.child.once('exit', resolve));
  assert.equal(code, 0);
  assert.equal(netnsWithPrefix(`ps-${lab}-`).length, 4, 'the lab outlives the agent');

  const b = startAgent(t, lab);
  const hello = await b.connection.sendRequest(Hello, { clientVersion: 'test', protocolVersion: AGENT_PROTOCOL_VERSION });
  assert.deepEqual(hello.lab, before);
  const after = await b.connection.sendRequest(LabApply, { workloads: [...shopWorkloads.slice(0, 2), shopWorkloads[2]!] });
  assert.deepEqual(after.endpoints.slice(0, 3), before.endpoints, 'existing endpoints and identities kept');
  await b.connection.sendRequest(LabTeardown);
  assert.deepEqual(netnsWithPrefix(`ps-${lab}-`), []);
});
