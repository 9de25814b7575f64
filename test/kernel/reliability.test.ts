/**
 * Reliability of the datapath and the agent under real traffic (issue 3):
 * three UDP streams run from a client endpoint to a server endpoint of one lab
 * while the agent is killed, the policy is rewritten a thousand times, a
 * datapath the verifier rejects is loaded, and a thousand malformed requests
 * arrive. Every datagram leaves from a new source port, so each is a new
 * connection that the policy decides on its own (see support/udp-stream.ts).
 *
 *   7001/udp  allowed                         → every datagram sent must arrive
 *   7002/udp  denied (default deny / a rule)  → none may arrive
 *   7003/udp  denied by a deny rule that an allow rule also matches → none may arrive
 *
 * One lab and one agent for the file (the agent is replaced in case a); the
 * agent runs on a temp copy of bpf/ so case c can break and mend its sources.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatapathLoad, FlowsSubscribe, LabApply, LabStatus, PolicyApply, Probe, type LabState } from '../../src/protocol/agent-rpc';
import type { PolicyBundle, PortRule } from '../../src/protocol/policy-ir';
import { labNamespaces, removeLabLeftovers } from '../harness/lab-cleanup';
import { REPO_ROOT, rpcError, startAgent, uniqueLab, type AgentUnderTest } from './support/agent-under-test';
import { bundle, eq, labWorkloads, peerOf, policy, workload } from './support/bundle-builder';
import { malformedFrames, malformedRequests } from './support/malformed-requests';
import { UdpStreams, type StreamFigures } from './support/traffic';

const ALLOWED = 7001;
const DENIED_DEFAULT = 7002;
const DENIED_RULE = 7003;
/** Probes use their own ports (the streams' receiver holds 7001-7003), with the same verdicts. */
const PROBE_ALLOWED = 7004;
const PROBE_DENIED_DEFAULT = 7006;
const PROBE_DENIED_RULE = 7007;
const PPS = 300;
const STREAMS = [ALLOWED, DENIED_DEFAULT, DENIED_RULE].map((port) => ({ port, pps: PPS }));

const udp = (port: number, endPort?: number): PortRule => (endPort === undefined ? { protocol: 'udp', port } : { protocol: 'udp', port, endPort });

const workloads = [workload('client', { app: 'client' }), workload('server', { app: 'server' })];

/** Version A of the policy: the straightforward way to write it. */
function policyA(extraTcpPort?: number): PolicyBundle {
  const serverRules = [
    { action: 'allow' as const, peers: [peerOf(eq('app', 'client'))], ports: [udp(ALLOWED), udp(PROBE_ALLOWED)] },
    { action: 'allow' as const, peers: [peerOf(eq('app', 'client'))], ports: [udp(DENIED_RULE), udp(PROBE_DENIED_RULE)] },
    { action: 'deny' as const, peers: [peerOf(eq('app', 'client'))], ports: [udp(DENIED_RULE), udp(PROBE_DENIED_RULE)] },
  ];
  if (extraTcpPort) serverRules.push({ action: 'allow', peers: [peerOf(eq('app', 'client'))], ports: [{ protocol: 'tcp', port: extraTcpPort }] });
  return bundle(workloads, [
    policy('server-in', [eq('app', 'server')], { ingress: serverRules }),
    policy('client-out', [eq('app', 'client')], { egress: [{ action: 'allow', peers: [peerOf(eq('app', 'server'))], ports: [{ protocol: 'udp', port: 7000, endPort: 7010 }] }] }),
  ]);
}

/**
 * Version B: the same verdicts for the three streams from different map
 * entries (other port prefixes, peers, cookies, a deny instead of the default
 * deny for 7002). Switching A ⇄ B rewrites and deletes entries every time, so
 * an apply that deletes before it writes, or writes piecemeal, shows up as
 * lost or leaked datagrams.
 */
function policyB(extraTcpPort?: number): PolicyBundle {
  const serverRules = [
    { action: 'deny' as const, peers: [], ports: [udp(DENIED_DEFAULT, DENIED_RULE), udp(PROBE_DENIED_DEFAULT, PROBE_DENIED_RULE)] },
    { action: 'allow' as const, peers: [peerOf({ key: 'app', operator: 'exists', values: [] })], ports: [udp(7000, ALLOWED), udp(PROBE_ALLOWED, PROBE_ALLOWED + 1)] },
  ];
  if (extraTcpPort) serverRules.push({ action: 'allow', peers: [{ kind: 'entity', entity: 'cluster' }], ports: [{ protocol: 'tcp', port: extraTcpPort }] } as never);
  return bundle(workloads, [
    policy('server-in', [eq('app', 'server')], { ingress: serverRules }),
    policy('client-out', [eq('app', 'client')], { egress: [{ action: 'allow', peers: [peerOf({ key: 'app', operator: 'in', values: ['server', 'other'] })], ports: [{ protocol: 'udp' }] }] }),
  ]);
}

/** The figures: not one allowed datagram lost, not one denied datagram delivered. */
function assertFigures(figures: Map<number, StreamFigures>, what: string): void {
  const f = (port: number) => figures.get(port)!;
  const summary = JSON.stringify([...figures.values()]);
  assert.ok(f(ALLOWED).sent > PPS, `${what}: the allowed stream really ran (${summary})`);
  assert.equal(f(ALLOWED).failed, 0, `${what}: the sender could send every datagram (${summary})`);
  assert.equal(f(ALLOWED).sent - f(ALLOWED).delivered, 0, `${what}: allowed datagrams lost (${summary})`);
  assert.ok(f(DENIED_DEFAULT).sent > PPS && f(DENIED_RULE).sent > PPS, `${what}: the denied streams really ran (${summary})`);
  assert.equal(f(DENIED_DEFAULT).delivered, 0, `${what}: default-denied datagrams delivered (${summary})`);
  assert.equal(f(DENIED_RULE).delivered, 0, `${what}: deny-rule datagrams delivered (${summary})`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Puts a packet read without a data_end check at the top of the first tc program: clang compiles it, the verifier refuses it. */
function breakDatapath(bpfDir: string): { file: string; line: number } {
  const file = path.join(bpfDir, 'bpf_lxc.c');
  const src = fs.readFileSync(file, 'utf8');
  const m = /SEC\("tc[^"]*"\)\s*int\s+\w+\s*\(\s*struct\s+__sk_buff\s*\*\s*(\w+)\s*\)\s*\{/.exec(src);
  assert.ok(m, 'found a SEC("tc") program taking a struct __sk_buff * in bpf_lxc.c to break');
  const insertAt = m.index + m[0].length;
  const line = src.slice(0, insertAt).split('\n').length + 1;
  const bad = `\n\tif (*(volatile __u32 *)(long)${m[1]}->data == 0x50534252) return 2; /* ps-broken-on-purpose: no data_end check */`;
  fs.writeFileSync(file, src.slice(0, insertAt) + bad + src.slice(insertAt));
  return { file: 'bpf_lxc.c', line };
}

test('reliability: no allowed packet lost and no denied packet delivered through kills, updates, broken datapaths and bad requests', async (t) => {
  const lab = uniqueLab('rl');
  const bpfCopy = fs.mkdtempSync(path.join(os.tmpdir(), 'ps-reliability-bpf-'));
  fs.cpSync(path.join(REPO_ROOT, 'bpf'), bpfCopy, { recursive: true });
  const agents: AgentUnderTest[] = [];
  const streams: UdpStreams[] = [];
  t.after(async () => {
    streams.forEach((s) => s.kill());
    agents.forEach((a) => a.dispose());
    await removeLabLeftovers(lab);
    fs.rmSync(bpfCopy, { recursive: true, force: true });
  });
  const newAgent = () => {
    const a = startAgent(lab, { bpfDir: bpfCopy });
    agents.push(a);
    return a;
  };
  const run = async (from: LabState, fn: () => Promise<void>, what: string) => {
    const client = from.endpoints.find((e) => e.workload === 'client')!;
    const server = from.endpoints.find((e) => e.workload === 'server')!;
    const s = await UdpStreams.start(client.netns, server, STREAMS);
    streams.push(s);
    try {
      await sleep(1000);
      await fn();
      await sleep(1000);
    } catch (e) {
      s.kill();
      throw e;
    }
    const figures = await s.stop();
    t.diagnostic(`${what}: ${JSON.stringify([...figures.values()])}`);
    assertFigures(figures, what);
  };

  let agent = newAgent();
  await agent.hello();
  const state = await agent.connection.sendRequest(LabApply, { workloads: labWorkloads(policyA()) });
  const build = await agent.connection.sendRequest(DatapathLoad, {});
  assert.equal(build.ok, true, build.verifierLog);
  await agent.connection.sendRequest(PolicyApply, { bundle: policyA() });

  await t.test('a: SIGKILL of the agent under traffic; the datapath keeps enforcing and a new agent re-adopts it', async () => {
    let adopted: LabState | undefined;
    await run(state, async () => {
      await agent.kill();
      await sleep(1500); // no agent at all: the pinned datapath alone decides
      agent = newAgent();
      const hello = await agent.hello();
      assert.equal(hello.datapath?.loaded, true, `re-adopted the pinned datapath\n${agent.stderr()}`);
      adopted = hello.lab;
      const ok = await agent.connection.sendRequest(Probe, { from: 'client', to: 'server', protocol: 'udp', port: PROBE_ALLOWED, timeoutMs: 1000 });
      assert.equal(ok.verdict, 'allowed', JSON.stringify(ok));
      const denied = await agent.connection.sendRequest(Probe, { from: 'client', to: 'server', protocol: 'udp', port: PROBE_DENIED_RULE, timeoutMs: 1000 });
      assert.equal(denied.verdict, 'denied', JSON.stringify(denied));
      assert.equal(denied.flow?.dropReason, 181, `the new agent explains the drop: ${JSON.stringify(denied.flow)}`);
      // The restarted agent keeps serving changes too.
      const applied = await agent.connection.sendRequest(PolicyApply, { bundle: policyA() });
      assert.ok(applied.generation >= 2, 'the policy generation carried over the restart');
    }, 'SIGKILL + restart');
    assert.deepEqual(adopted, state, 'the lab (endpoints, addresses, identities) was re-adopted unchanged');
  });

  await t.test('b: 1,000 policy updates under traffic that keep the streams\' verdicts', async () => {
    const before = (await agent.connection.sendRequest(PolicyApply, { bundle: policyA() })).generation;
    let last = before;
    const t0 = Date.now();
    await run(state, async () => {
      for (let i = 1; i <= 1000; i++) {
        // A ⇄ B rewrites the streams' entries; the extra TCP rule changes the entry set on every update.
        const next = i % 2 === 1 ? policyB(20000 + i) : policyA(20000 + i);
        last = (await agent.connection.sendRequest(PolicyApply, { bundle: next })).generation;
      }
    }, '1,000 updates');
    assert.equal(last, before + 1000);
    t.diagnostic(`1,000 updates in ${Date.now() - t0 - 2000} ms (with traffic running)`);
    await agent.connection.sendRequest(PolicyApply, { bundle: policyA() });
  });

  await t.test('c: a datapath the verifier rejects leaves the old one enforcing and returns the full log', async () => {
    const pristine = fs.readFileSync(path.join(bpfCopy, 'bpf_lxc.c'), 'utf8');
    const objectBefore = (await agent.hello()).datapath?.objectHash;
    await run(state, async () => {
      const broken = breakDatapath(bpfCopy);
      const result = await agent.connection.sendRequest(DatapathLoad, { force: true });
      assert.equal(result.ok, false, 'the broken datapath is refused');
      assert.equal(result.stage, 'load', `refused by the verifier, not the compiler: ${JSON.stringify(result.diagnostics)}`);
      assert.match(result.verifierLog, /invalid access to packet|outside of the packet/, 'the verifier says why');
      assert.match(result.verifierLog, /ps-broken-on-purpose/, 'the log quotes the offending source line');
      assert.ok(result.verifierLog.includes(`${broken.file}:${broken.line}`), `the log names ${broken.file}:${broken.line}:\n${result.verifierLog.slice(-3000)}`);
      assert.match(result.verifierLog, /processed \d+ insns/, 'the log is complete (ends with the verifier statistics)');
      const hello = await agent.hello();
      assert.equal(hello.datapath?.loaded, true);
      assert.equal(hello.datapath?.objectHash, objectBefore, 'the previous object is still the loaded one');
      const denied = await agent.connection.sendRequest(Probe, { from: 'client', to: 'server', protocol: 'udp', port: PROBE_DENIED_DEFAULT, timeoutMs: 1000 });
      assert.equal(denied.verdict, 'denied');
      // Mended sources load again: the agent did not get stuck on the failure.
      fs.writeFileSync(path.join(bpfCopy, 'bpf_lxc.c'), pristine);
      const mended = await agent.connection.sendRequest(DatapathLoad, { force: true });
      assert.equal(mended.ok, true, mended.verifierLog);
    }, 'broken datapath');
  });

  await t.test('d: a thousand malformed requests and frames under traffic; the agent still answers', async () => {
    const requests = malformedRequests(policyA(), 'client');
    const frames = malformedFrames();
    let sent = 0;
    await run(state, async () => {
      const batch: Promise<void>[] = [];
      for (let i = 0; sent < 1000; i++) {
        const r = requests[i % requests.length]!;
        sent++;
        batch.push(rpcError(agent.connection.sendRequest(r.method, r.params)).then((e) => {
          assert.ok(e.code < 0, `${r.why}: answered with an error code`);
          assert.ok(e.message.length > 0, `${r.why}: the error says why`);
        }, (e: Error) => { throw new Error(`${r.why}: ${e.message}`); }));
        if (i % 25 === 0) agent.child.stdin!.write(frames[(i / 25) % frames.length]!);
        if (batch.length >= 50) await Promise.all(batch.splice(0));
      }
      await Promise.all(batch);
      assert.equal(agent.child.exitCode, null, 'the agent is still running');
      const hello = await agent.hello();
      assert.equal(hello.datapath?.loaded, true);
      assert.deepEqual(await agent.connection.sendRequest(LabStatus), state, 'no bad request changed the lab');
      const ok = await agent.connection.sendRequest(Probe, { from: 'client', to: 'server', protocol: 'udp', port: PROBE_ALLOWED, timeoutMs: 1000 });
      assert.equal(ok.verdict, 'allowed');
      await agent.connection.sendRequest(FlowsSubscribe, {});
      const gen = await agent.connection.sendRequest(PolicyApply, { bundle: policyA() });
      assert.ok(gen.generation > 1000, 'a good request after the bad ones is served');
    }, 'malformed requests');
    assert.deepEqual(labNamespaces(lab).length, 3, 'no bad request created a namespace (node + 2 endpoints)');
    const unknown = await rpcError(agent.connection.sendRequest(Probe, { from: 'client', to: 'nosuch', protocol: 'tcp', port: 80 }));
    assert.match(unknown.message, /nosuch/);
  });

  await agent.stop();
});
