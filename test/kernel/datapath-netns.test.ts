/**
 * The datapath on real traffic: a node namespace routing between two
 * endpoint namespaces over veths, the programs attached with tcx to the
 * host-side veths, real TCP connections allowed on one port and dropped on
 * another, and the flow events that explain both. Then: a datapath build
 * that clang or the verifier rejects leaves the running program enforcing,
 * and a closed datapath keeps enforcing and is re-adopted from its pins.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatapath, type EbpfDatapath } from '../../src/agent/datapath';
import { policyMapOf } from '../../src/agent/datapath/layouts';
import { DropReason } from '../../src/protocol/drop-reasons';
import { BPF_DIR, datapathOptions, FlowCollector, inNetns, ip, Namespaces, shortId, tempDir } from './datapath-fixture';

const A = { ip: '10.244.101.2', gw: '10.244.101.1', identity: 1001, endpointId: 11 };
const B = { ip: '10.244.102.2', gw: '10.244.102.1', identity: 1002, endpointId: 12 };
const B_INGRESS_POLICY = 0x0b0b0001;
const RULE_8080 = 0x0b0b0002;

/** TCP connect from a namespace (Node itself, so no extra tool); true when the handshake completed within 1 s. */
function connects(netns: string, host: string, port: number): Promise<boolean> {
  const script = `const s=require('net').connect(${port},${JSON.stringify(host)},()=>process.exit(0));s.on('error',()=>process.exit(1));setTimeout(()=>process.exit(1),1000);`;
  return new Promise((resolve) => {
    execFile('nsenter', [`--net=/var/run/netns/${netns}`, process.execPath, '-e', script], { timeout: 5000 }, (err) => resolve(!err));
  });
}

/** A TCP server in a namespace that accepts on the given ports and closes at once. */
async function startServer(netns: string, host: string, ports: number[]): Promise<ChildProcess> {
  const script = `const net=require('net');let n=0;for(const p of ${JSON.stringify(ports)})net.createServer(s=>s.end()).listen(p,${JSON.stringify(host)},()=>{if(++n===${ports.length})console.log('ready')});`;
  const child = spawn('nsenter', [`--net=/var/run/netns/${netns}`, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  return child;
}

/**
 * Sends one UDP datagram of `size` bytes from `netns` to host:port (larger than
 * the 1500-byte MTU, so the kernel sends it as IPv4 fragments) and tells
 * whether a receiver in `destNetns` got it whole within 1 s.
 */
async function bigDatagramArrives(netns: string, destNetns: string, host: string, port: number, size: number): Promise<boolean> {
  const recv = `const s=require('dgram').createSocket('udp4');s.on('message',m=>{console.log(m.length);process.exit(0)});s.bind(${port},${JSON.stringify(host)},()=>console.log('ready'));setTimeout(()=>process.exit(1),1500);`;
  const receiver = spawn('nsenter', [`--net=/var/run/netns/${destNetns}`, process.execPath, '-e', recv], { stdio: ['ignore', 'pipe', 'inherit'] });
  // Listened for from the start: the receiver may exit (datagram received) before the sender returns.
  const exited = new Promise<number | null>((resolve) => receiver.once('exit', resolve));
  try {
    let out = '';
    await new Promise<void>((resolve, reject) => {
      receiver.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('ready')) resolve(); });
      void exited.then(() => reject(new Error('udp receiver exited before it was ready')));
    });
    const send = `const s=require('dgram').createSocket('udp4');s.send(Buffer.alloc(${size},7),${port},${JSON.stringify(host)},e=>process.exit(e?1:0));`;
    await new Promise<void>((resolve, reject) => {
      execFile('nsenter', [`--net=/var/run/netns/${netns}`, process.execPath, '-e', send], { timeout: 5000 }, (err) => (err ? reject(err) : resolve()));
    });
    const code = await exited;
    return code === 0 && out.includes(`\n${size}`);
  } finally {
    if (receiver.exitCode === null) receiver.kill('SIGKILL');
  }
}

test('datapath enforces policy on real TCP between namespaces', async (t) => {
  const id = shortId();
  const nsList = new Namespaces();
  t.after(() => nsList.cleanup());
  const node = nsList.add(`psnt${id}-node`);
  inNetns(node, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  const endpoints = [A, B].map((ep, i) => {
    const netns = nsList.add(`psnt${id}-${'ab'[i]}`);
    const ifname = `psnt${id}${'ab'[i]}`;
    ip('link', 'add', ifname, 'netns', node, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
    ip('-n', node, 'addr', 'add', `${ep.gw}/24`, 'dev', ifname);
    ip('-n', node, 'link', 'set', ifname, 'up');
    ip('-n', netns, 'addr', 'add', `${ep.ip}/24`, 'dev', 'eth0');
    ip('-n', netns, 'link', 'set', 'eth0', 'up');
    // Only the lab's prefix is routed, through the node namespace; no default route.
    ip('-n', netns, 'route', 'add', '10.244.0.0/16', 'via', ep.gw);
    return { ...ep, netns, ifname };
  });
  const [a, b] = endpoints;

  // A private copy of bpf/ that the build-failure case can break.
  const src = tempDir('psnt-bpf-');
  t.after(() => src.remove());
  cpSync(BPF_DIR, src.path, { recursive: true });
  const build = tempDir('psnt-build-');
  t.after(() => build.remove());

  const server = await startServer(b.netns, B.ip, [8080, 8081]);
  t.after(() => { server.kill('SIGKILL'); });

  const opts = datapathOptions(id, node, src.path, build.path);
  let dp: EbpfDatapath = await openDatapath(opts);
  t.after(() => dp.destroy());
  assert.ok(dp.initialBuild?.ok, dp.initialBuild?.verifierLog);
  assert.ok(dp.initialBuild!.programs.every((p) => (p.insnsProcessed ?? 0) > 0), 'verifier stats are reported');
  // Every map loads with its BTF at the first try: a libbpf retry reads as an error in the user's verifier log.
  assert.doesNotMatch(dp.initialBuild!.verifierLog, /Retrying without BTF|Error in bpf_create_map/);
  let flows = new FlowCollector(dp);

  const endpointConfigs = [
    { endpointId: A.endpointId, ifname: a.ifname, ip: A.ip, identity: A.identity, ingressPolicyCookie: 0, egressPolicyCookie: 0 },
    { endpointId: B.endpointId, ifname: b.ifname, ip: B.ip, identity: B.identity, ingressPolicyCookie: B_INGRESS_POLICY, egressPolicyCookie: 0 },
  ];
  await dp.setEndpoints(endpointConfigs);
  assert.deepEqual(dp.state().attachedInterfaces, [a.ifname, b.ifname].sort());
  await dp.setIpcache([{ cidr: `${A.ip}/32`, identity: A.identity }, { cidr: `${B.ip}/32`, identity: B.identity }]);
  await dp.setPolicy([
    { endpointId: B.endpointId, direction: 'ingress', identity: A.identity, protocol: 6, portStart: 8080, portEnd: 8080, action: 'allow', cookie: RULE_8080 },
  ]);

  await t.test('allowed port connects and reports the rule', async () => {
    assert.equal(await connects(a.netns, B.ip, 8080), true);
    const flow = await flows.waitFor((f) => f.endpointId === B.endpointId && f.direction === 'ingress' && f.dport === 8080);
    assert.equal(flow.verdict, 'forwarded');
    assert.equal(flow.match, 'policy');
    assert.equal(flow.cookie, RULE_8080);
    assert.equal(flow.remoteIdentity, A.identity);
    assert.equal(flow.saddr, A.ip);
    const egress = await flows.waitFor((f) => f.endpointId === A.endpointId && f.direction === 'egress' && f.dport === 8080);
    assert.equal(egress.match, 'default-allow');
    assert.equal(egress.remoteIdentity, B.identity);
  });

  await t.test('other port is dropped by default deny with the policy cookie', async () => {
    assert.equal(await connects(a.netns, B.ip, 8081), false);
    const flow = await flows.waitFor((f) => f.endpointId === B.endpointId && f.dport === 8081);
    assert.equal(flow.verdict, 'dropped');
    assert.equal(flow.dropReason, DropReason.PolicyDenied);
    assert.equal(flow.cookie, B_INGRESS_POLICY);
  });

  await t.test('a policy change is applied as a diff', async () => {
    const policy = [
      { endpointId: B.endpointId, direction: 'ingress' as const, identity: A.identity, protocol: 6, portStart: 8080, portEnd: 8080, action: 'allow' as const, cookie: RULE_8080 },
    ];
    assert.deepEqual(await dp.setPolicy(policy), { written: 0, deleted: 0 });
    const maps = await dp.dumpMaps();
    const policyMap = maps.find((m) => m.name === policyMapOf(dp.policyGeneration().slot));
    assert.equal(policyMap?.entries.filter((e) => !e.key.enforcement).length, 1);
    assert.equal(policyMap?.entries.filter((e) => e.key.enforcement).length, 1, 'B enforces ingress');
    assert.ok(maps.find((m) => m.name === 'ps_ct')!.entries.length > 0, 'conntrack has the allowed connection');
  });

  await t.test('a UDP datagram larger than the MTU crosses in fragments to an allowed port, not to a denied one', async () => {
    const RULE_UDP_9053 = 0x0b0b0003;
    const only8080 = { endpointId: B.endpointId, direction: 'ingress' as const, identity: A.identity, protocol: 6, portStart: 8080, portEnd: 8080, action: 'allow' as const, cookie: RULE_8080 };
    await dp.setPolicy([only8080, { ...only8080, protocol: 17, portStart: 9053, portEnd: 9053, cookie: RULE_UDP_9053 }]);
    try {
      flows.clear();
      assert.equal(await bigDatagramArrives(a.netns, b.netns, B.ip, 9053, 4000), true, 'every fragment of the allowed datagram arrived');
      assert.equal(await bigDatagramArrives(a.netns, b.netns, B.ip, 9054, 4000), false);
      // Each fragment of the denied datagram was judged on its real port, none on port 0.
      await flows.waitFor((f) => f.dport === 9054 && f.verdict === 'dropped');
      await new Promise((r) => setTimeout(r, 200));
      const drops = flows.flows.filter((f) => f.endpointId === B.endpointId && f.verdict === 'dropped');
      assert.ok(drops.length >= 3 && drops.every((f) => f.dport === 9054 && f.dropReason === DropReason.PolicyDenied), JSON.stringify(drops, (_k, v) => (typeof v === "bigint" ? String(v) : v)));
    } finally {
      await dp.setPolicy([only8080]);
    }
  });

  await t.test('a build the compiler rejects reports diagnostics and keeps enforcing', async () => {
    const lxc = join(src.path, 'bpf_lxc.c');
    const good = readFileSync(lxc, 'utf8');
    writeFileSync(lxc, good.replace('counter_inc(COUNTER_PACKETS);', 'counter_inc(COUNTER_PACKETS) oops;'));
    try {
      const res = await dp.build();
      assert.equal(res.ok, false);
      assert.equal(res.stage, 'compile');
      const diag = res.diagnostics.find((d) => d.severity === 'error');
      assert.ok(diag && diag.file.endsWith('bpf_lxc.c') && diag.line > 0, JSON.stringify(res.diagnostics));
    } finally {
      writeFileSync(lxc, good);
    }
    assert.equal(await connects(a.netns, B.ip, 8081), false);
  });

  await t.test('a build the verifier rejects returns the log and the old program keeps enforcing', async () => {
    const ipv4 = join(src.path, 'lib', 'ipv4.h');
    const good = readFileSync(ipv4, 'utf8');
    // Drop the bounds check of the TCP header: the verifier must refuse the read.
    const broken = good.replace('if ((void *)(th + 1) > data_end)\n\t\t\treturn DROP_CT_INVALID_HDR;', '');
    assert.notEqual(broken, good);
    writeFileSync(ipv4, broken);
    const before = dp.state().objectHash;
    try {
      const res = await dp.build();
      assert.equal(res.ok, false);
      assert.equal(res.stage, 'load');
      assert.match(res.verifierLog, /invalid access to packet|R\d+ offset is outside of the packet/);
      assert.match(res.verifierLog, /@ .*\.h:\d+|@ .*\.c:\d+/, 'log carries source annotations');
      assert.doesNotMatch(res.verifierLog, /Retrying without BTF|Error in bpf_create_map/, 'no libbpf retry noise before the verifier\'s own log');
      assert.ok(res.diagnostics.some((d) => d.severity === 'error' && d.line > 0), JSON.stringify(res.diagnostics));
    } finally {
      writeFileSync(ipv4, good);
    }
    assert.equal(dp.state().objectHash, before);
    flows.clear();
    assert.equal(await connects(a.netns, B.ip, 8081), false);
    assert.equal(await connects(a.netns, B.ip, 8080), true);
    const drop = await flows.waitFor((f) => f.dport === 8081 && f.verdict === 'dropped');
    assert.equal(drop.cookie, B_INGRESS_POLICY);
  });

  await t.test('a closed datapath keeps enforcing and is re-adopted from its pins', async () => {
    flows.dispose();
    await dp.close();
    assert.equal(await connects(a.netns, B.ip, 8081), false);
    assert.equal(await connects(a.netns, B.ip, 8080), true);
    dp = await openDatapath(opts);
    assert.ok(dp.initialBuild?.ok, dp.initialBuild?.verifierLog);
    flows = new FlowCollector(dp);
    t.after(() => flows.dispose());
    assert.deepEqual(dp.state().attachedInterfaces, [a.ifname, b.ifname].sort());
    // Nothing changed, so nothing is rewritten; events queued while closed still arrive.
    assert.deepEqual(await dp.setPolicy([
      { endpointId: B.endpointId, direction: 'ingress', identity: A.identity, protocol: 6, portStart: 8080, portEnd: 8080, action: 'allow', cookie: RULE_8080 },
    ]), { written: 0, deleted: 0 });
    await dp.setEndpoints(endpointConfigs);
    await flows.waitFor((f) => f.dport === 8081 && f.verdict === 'dropped');
    assert.equal(await connects(a.netns, B.ip, 8081), false);
  });
});
