/**
 * Local delivery on the real kernel: a packet between two endpoints of the
 * lab that policy allowed goes from the sender's veth into the receiver's
 * namespace (bpf/lib/local_delivery.h), not through the node namespace's
 * routing nor the receiver's host-side veth, and still meets the receiver's
 * ingress policy on the way. Measured from outside the datapath: the node's IP
 * forwarding counter (/proc/net/snmp Ip ForwDatagrams), the host veth's
 * transmit counter, the TTL ping reports, the packets that arrive and the
 * drop events. Then the same in `routed` mode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { netnsPath } from '../../src/agent/lab/names';
import {
  AgentErrorCode, DatapathLoad, DatapathLocalDelivery, FlowsSubscribe, LabApply, MapsDump, PolicyApply, Probe, type EndpointState, type LabState,
} from '../../src/protocol/agent-rpc';
import { DropReason } from '../../src/protocol/drop-reasons';
import { bundle, eq, labWorkloads, peerOf, policy, workload } from './support/bundle-builder';
import { nodeForwardedDatagrams } from '../harness/node-counters';
import { inNetns } from './datapath-fixture';
import { removeLabAfter, rpcError, startAgentForTest, uniqueLab } from './support/agent-under-test';

/** ping -c N: the replies and the TTL each arrived with (its output also when replies are missing and it exits 1). */
function ping(from: EndpointState, to: EndpointState, count: number, ttl = 64): { replies: number; ttls: number[]; out: string } {
  let out: string;
  try {
    out = inNetns(from.netns, 'ping', ['-n', '-c', String(count), '-i', '0.05', '-W', '1', '-t', String(ttl), to.ip], 20_000);
  } catch (e) {
    out = String((e as { stdout?: unknown }).stdout ?? e);
  }
  const ttls = [...out.matchAll(/ttl=(\d+)/g)].map((m) => Number(m[1]));
  return { replies: ttls.length, ttls, out };
}

test('local delivery: allowed packets skip the node\'s routing, the receiver\'s ingress policy still decides', async (t) => {
  const lab = uniqueLab('ld');
  removeLabAfter(t, lab);
  const agent = startAgentForTest(t, lab);
  await agent.hello();
  const workloads = [workload('client', { app: 'client' }), workload('server', { app: 'server' }), workload('other', { app: 'other' })];
  // server: ICMP echo and UDP 9000 from client only; client and other are under no policy.
  const b = bundle(workloads, [policy('server-in', [eq('app', 'server')], {
    ingress: [{ action: 'allow', peers: [peerOf(eq('app', 'client'))], ports: [{ protocol: 'icmp', icmpType: 8 }, { protocol: 'udp', port: 9000 }, { protocol: 'tcp', port: 5201 }] }],
  })]);
  const state: LabState = await agent.connection.sendRequest(LabApply, { lab, workloads: labWorkloads(b) });
  const loaded = await agent.connection.sendRequest(DatapathLoad, {});
  assert.ok(loaded.ok, loaded.verifierLog);
  await agent.connection.sendRequest(PolicyApply, { bundle: b });
  await agent.connection.sendRequest(FlowsSubscribe, { traceAll: false });
  const ep = (w: string) => state.endpoints.find((e) => e.workload === w)!;
  const client = ep('client');
  const server = ep('server');
  const other = ep('other');

  await t.test('the lab records both MACs of every veth and the datapath has them by address', async () => {
    const dump = await agent.connection.sendRequest(MapsDump, { map: 'ps_lxc' });
    const entries = dump.maps.find((m) => m.name === 'ps_lxc')!.entries as { key: { ip: string }; value: { ifindex: number; endpointId: number; mac: string; nodeMac: string } }[];
    assert.equal(entries.length, 3);
    for (const e of state.endpoints) {
      const entry = entries.find((x) => x.key.ip === e.ip);
      assert.ok(entry, `${e.ip} in ps_lxc`);
      const podLink = JSON.parse(execFileSync('ip', ['-n', e.netns, '-j', 'link', 'show', 'dev', 'eth0'], { encoding: 'utf8' }))[0];
      const hostLink = JSON.parse(execFileSync('ip', ['-n', state.nodeNetns, '-j', 'link', 'show', 'dev', e.ifname], { encoding: 'utf8' }))[0];
      assert.equal(entry.value.mac, podLink.address);
      assert.equal(entry.value.nodeMac, hostLink.address);
      assert.equal(entry.value.ifindex, hostLink.ifindex);
      assert.equal(entry.value.endpointId, e.endpointId);
      assert.equal(e.mac, podLink.address, 'lab state carries the MACs');
    }
  });

  /** Packets the node sent out of a workload's host-side veth (routed ones; a direct one enters the workload's namespace without it). */
  const hostVethTx = (e: EndpointState) => (JSON.parse(execFileSync('ip', ['-n', state.nodeNetns, '-j', '-s', 'link', 'show', 'dev', e.ifname], { encoding: 'utf8' }))[0].stats64.tx.packets as number);

  await t.test('direct: replies arrive with the TTL a router leaves, the node forwards nothing, the server\'s veth is skipped', async () => {
    const before = nodeForwardedDatagrams(state.nodeNetns);
    const tx = hostVethTx(server);
    const r = ping(client, server, 40);
    assert.equal(r.replies, 40, r.out);
    assert.deepEqual(new Set(r.ttls), new Set([63]), 'one hop: TTL decremented once');
    assert.equal(nodeForwardedDatagrams(state.nodeNetns) - before, 0, 'no packet went through ip_forward');
    // The requests went from the client's veth into the server's namespace: routed, all 40 would leave the node here.
    // What may: the node's own neighbour traffic (ARP, IPv6 ND/MLD), a few packets whatever the count (4 seen on a loaded machine).
    assert.ok(hostVethTx(server) - tx <= 8, `server's host veth sent ${hostVethTx(server) - tx} packets`);
  });

  await t.test('direct: the receiver\'s ingress policy still drops what it does not allow', async () => {
    const denied = await agent.connection.sendRequest(Probe, { from: 'other', to: 'server', protocol: 'icmp' });
    assert.equal(denied.verdict, 'denied');
    assert.equal(denied.flow?.dropReason, DropReason.PolicyDenied);
    assert.equal(denied.flow?.direction, 'ingress');
    const deniedPort = await agent.connection.sendRequest(Probe, { from: 'client', to: 'server', protocol: 'udp', port: 9001 });
    assert.equal(deniedPort.verdict, 'denied');
    const allowed = await agent.connection.sendRequest(Probe, { from: 'client', to: 'server', protocol: 'udp', port: 9000 });
    assert.equal(allowed.verdict, 'allowed', allowed.outcome);
    // Endpoints under no policy talk both ways, directly.
    const before = nodeForwardedDatagrams(state.nodeNetns);
    assert.equal(ping(server, other, 3).replies, 3);
    assert.equal(nodeForwardedDatagrams(state.nodeNetns) - before, 0);
  });

  await t.test('a TTL that would expire is left to the node, which answers time exceeded', async () => {
    const r = ping(client, server, 1, 1);
    assert.equal(r.replies, 0);
    assert.match(r.out, /Time to live exceeded/i);
  });

  await t.test('routed: the same verdicts, through the node\'s routing', async () => {
    await agent.connection.sendRequest(DatapathLocalDelivery, { mode: 'routed' });
    const before = nodeForwardedDatagrams(state.nodeNetns);
    const tx = hostVethTx(server);
    const r = ping(client, server, 10);
    assert.equal(r.replies, 10, r.out);
    assert.deepEqual(new Set(r.ttls), new Set([63]));
    assert.equal(nodeForwardedDatagrams(state.nodeNetns) - before, 20, 'ten requests and ten replies routed');
    assert.ok(hostVethTx(server) - tx >= 10, 'the requests left the node through the server\'s veth');
    const denied = await agent.connection.sendRequest(Probe, { from: 'other', to: 'server', protocol: 'icmp' });
    assert.equal(denied.verdict, 'denied');
    await agent.connection.sendRequest(DatapathLocalDelivery, { mode: 'direct' });
    const again = nodeForwardedDatagrams(state.nodeNetns);
    assert.equal(ping(client, server, 3).replies, 3);
    assert.equal(nodeForwardedDatagrams(state.nodeNetns) - again, 0, 'direct again');
  });

  await t.test('direct: a bulk TCP transfer (GSO segments the sending socket still holds) arrives whole', async () => {
    const iperf = spawn('nsenter', [`--net=${netnsPath(server.netns)}`, '--', 'iperf3', '-s', '-1', '-B', server.ip, '-p', '5201'], { stdio: 'ignore' });
    t.after(() => { if (iperf.exitCode === null && iperf.signalCode === null) process.kill(iperf.pid!, 'SIGKILL'); });
    await new Promise((r) => setTimeout(r, 500));
    const before = nodeForwardedDatagrams(state.nodeNetns);
    // inNetns throws unless iperf3 exits 0: the client finished sending 32 MiB over TCP,
    // which needs every segment acknowledged. (The server's own byte count stops at its last report.)
    const out = JSON.parse(inNetns(client.netns, 'iperf3', ['-c', server.ip, '-p', '5201', '-n', '32M', '-J'], 60_000)) as { end: { sum_sent: { bytes: number }; sum_received: { bytes: number } } };
    assert.ok(out.end.sum_sent.bytes >= 32 * 1024 * 1024, `sent ${out.end.sum_sent.bytes} bytes`);
    assert.ok(out.end.sum_received.bytes > 16 * 1024 * 1024, `received ${out.end.sum_received.bytes} bytes`);
    assert.equal(nodeForwardedDatagrams(state.nodeNetns) - before, 0, 'every segment and ACK went directly');
  });

  await t.test('an endpoint whose veth is recreated is delivered to on its new veth', async () => {
    execFileSync('ip', ['netns', 'del', server.netns]);
    const again: LabState = await agent.connection.sendRequest(LabApply, { lab, workloads: labWorkloads(b) });
    const recreated = again.endpoints.find((e) => e.workload === 'server')!;
    assert.equal(recreated.ip, server.ip, 'same address');
    const hostLink = JSON.parse(execFileSync('ip', ['-n', state.nodeNetns, '-j', 'link', 'show', 'dev', recreated.ifname], { encoding: 'utf8' }))[0];
    const dump = await agent.connection.sendRequest(MapsDump, { map: 'ps_lxc' });
    const entry = (dump.maps[0]!.entries as { key: { ip: string }; value: { ifindex: number; mac: string } }[]).find((x) => x.key.ip === server.ip)!;
    assert.equal(entry.value.ifindex, hostLink.ifindex, 'ps_lxc names the new veth');
    assert.equal(entry.value.mac, recreated.mac);
    const before = nodeForwardedDatagrams(state.nodeNetns);
    const r = ping(client, recreated, 5);
    assert.equal(r.replies, 5, r.out);
    assert.equal(nodeForwardedDatagrams(state.nodeNetns) - before, 0);
    const denied = await agent.connection.sendRequest(Probe, { from: 'other', to: 'server', protocol: 'icmp' });
    assert.equal(denied.verdict, 'denied', 'its ingress policy is attached to the new veth');
  });

  await t.test('a bad mode is a clear error', async () => {
    const err = await rpcError(agent.connection.sendRequest(DatapathLocalDelivery, { mode: 'teleport' as 'direct' }));
    assert.equal(err.code, AgentErrorCode.BadRequest);
    assert.match(err.message, /mode: expected "direct" or "routed"/);
  });
});
