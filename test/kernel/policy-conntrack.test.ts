/**
 * Conntrack and the verdicts around it, on the real programs with
 * BPF_PROG_TEST_RUN: the TCP state machine (SYN → established → FIN/RST
 * closing → closed), a reused tuple after close deciding by policy again,
 * Cilium's choice for established connections a policy change denies (kept
 * until they close), expiry with short lifetimes and the agent's sweep,
 * untrackable protocols under policy (137), trace-all at run time, drops by
 * reason in the per-CPU counters, and an apply visible as one generation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PolicyEntry } from '../../src/agent/datapath';
import { craftTestPacket, TcpFlag, type TestPacketSpec } from '../../src/agent/datapath/test-packet';
import { DropReason } from '../../src/protocol/drop-reasons';
import { openTestRunDatapath, type RecordedFlow } from './datapath-fixture';

const TC_ACT_OK = 0;
const TC_ACT_SHOT = 2;
const EP = { endpointId: 3, ip: '10.244.1.2', identity: 2001 };
const PEER = { ip: '10.244.2.2', identity: 2002 };
const IN_POLICY = 0x5151_0001;
const EG_POLICY = 0x5151_0002;
const ALLOW_80 = 0x5151_0010;
const ALLOW_UDP = 0x5151_0011;

test('conntrack state machine, expiry, 137, trace-all and counters', async (t) => {
  const { dev, dp, flows } = await openTestRunDatapath(t, 'psct');

  const endpoints = [{ ...EP, ifname: dev, ingressPolicyCookie: IN_POLICY, egressPolicyCookie: EG_POLICY }];
  const ipcache = [{ cidr: `${EP.ip}/32`, identity: EP.identity }, { cidr: `${PEER.ip}/32`, identity: PEER.identity }];
  const allow80: PolicyEntry = { endpointId: EP.endpointId, direction: 'ingress', identity: PEER.identity, protocol: 6, portStart: 80, portEnd: 80, action: 'allow', cookie: ALLOW_80 };
  const allowUdp: PolicyEntry = { endpointId: EP.endpointId, direction: 'ingress', identity: PEER.identity, protocol: 17, portStart: 53, portEnd: 53, action: 'allow', cookie: ALLOW_UDP };
  await dp.applyPolicyState({ endpoints, ipcache, entries: [allow80, allowUdp] });
  await dp.setEndpoints(endpoints);

  const inbound = (sport: number, flags: number): TestPacketSpec => ({ src: PEER.ip, dst: EP.ip, protocol: 'tcp', sport, dport: 80, tcpFlags: flags });
  const outbound = (sport: number, flags: number): TestPacketSpec => ({ src: EP.ip, dst: PEER.ip, protocol: 'tcp', sport: 80, dport: sport, tcpFlags: flags });
  const send = async (program: 'to_endpoint' | 'from_endpoint', spec: TestPacketSpec) => (await dp.testRun(program, dev, craftTestPacket(spec))).retval;
  async function ctState(sport: number): Promise<string | undefined> {
    const ct = (await dp.dumpMaps(['ps_ct']))[0]!;
    return ct.entries.find((e) => e.key.sport === sport && e.key.dport === 80 && e.key.direction === 'ingress')?.value.state as string | undefined;
  }

  await t.test('TCP: SYN → syn-sent, SYN-ACK reply passes, ACK → established, FIN both ways → closed', async () => {
    const sp = 40001;
    assert.equal(await send('to_endpoint', inbound(sp, TcpFlag.SYN)), TC_ACT_OK);
    assert.equal(await ctState(sp), 'syn-sent');
    assert.equal(await send('from_endpoint', outbound(sp, TcpFlag.SYN | TcpFlag.ACK)), TC_ACT_OK, 'the reply passes an egress policy with no rules');
    assert.equal(await ctState(sp), 'syn-sent');
    assert.equal(await send('to_endpoint', inbound(sp, TcpFlag.ACK)), TC_ACT_OK);
    assert.equal(await ctState(sp), 'established');
    assert.equal(await send('to_endpoint', inbound(sp, TcpFlag.FIN | TcpFlag.ACK)), TC_ACT_OK);
    assert.equal(await ctState(sp), 'closing');
    assert.equal(await send('from_endpoint', outbound(sp, TcpFlag.FIN | TcpFlag.ACK)), TC_ACT_OK);
    assert.equal(await ctState(sp), 'closed');
    assert.equal(await send('to_endpoint', inbound(sp, TcpFlag.ACK)), TC_ACT_OK, 'the last ACK passes while closed');
  });

  await t.test('TCP: RST closes at once', async () => {
    const sp = 40002;
    await send('to_endpoint', inbound(sp, TcpFlag.SYN));
    await send('to_endpoint', inbound(sp, TcpFlag.ACK));
    assert.equal(await send('from_endpoint', outbound(sp, TcpFlag.RST)), TC_ACT_OK);
    assert.equal(await ctState(sp), 'closed');
  });

  await t.test('established connections survive a policy that denies them (Cilium); new ones and reused tuples are denied', async () => {
    const sp = 40003;
    await send('to_endpoint', inbound(sp, TcpFlag.SYN));
    await send('to_endpoint', inbound(sp, TcpFlag.ACK));
    const before = dp.policyGeneration().generation;
    const commit = await dp.applyPolicyState({ endpoints, ipcache, entries: [allowUdp] });
    assert.equal(commit.generation, before + 1, 'one generation per apply');
    assert.equal(await send('to_endpoint', inbound(sp, TcpFlag.PSH | TcpFlag.ACK)), TC_ACT_OK, 'established traffic continues');
    assert.equal(await send('from_endpoint', outbound(sp, TcpFlag.ACK)), TC_ACT_OK, 'and so do its replies');
    flows.clear();
    assert.equal(await send('to_endpoint', inbound(40004, TcpFlag.SYN)), TC_ACT_SHOT, 'a new connection is denied');
    const drop = await flows.waitFor((f) => f.verdict === 'dropped');
    assert.equal(drop.dropReason, DropReason.PolicyDenied);
    assert.equal(drop.cookie, IN_POLICY);
    // Close it; a SYN on the same tuple is a new connection: policy decides again.
    await send('to_endpoint', inbound(sp, TcpFlag.RST));
    assert.equal(await send('to_endpoint', inbound(sp, TcpFlag.SYN)), TC_ACT_SHOT);
    await dp.applyPolicyState({ endpoints, ipcache, entries: [allow80, allowUdp] });
  });

  await t.test('expiry: a UDP flow past its lifetime is forgotten, and the sweep removes it', async () => {
    await dp.setConntrackTimeouts({ nonTcpSeconds: 1 });
    try {
      const udp = { src: PEER.ip, dst: EP.ip, protocol: 'udp' as const, sport: 41000, dport: 53 };
      const reply = { src: EP.ip, dst: PEER.ip, protocol: 'udp' as const, sport: 53, dport: 41000 };
      assert.equal(await send('to_endpoint', udp), TC_ACT_OK);
      assert.equal(await send('from_endpoint', reply), TC_ACT_OK, 'reply within the lifetime');
      await new Promise((r) => setTimeout(r, 1300));
      const swept = await dp.gcConntrack();
      assert.ok(swept.deleted >= 1, JSON.stringify(swept));
      flows.clear();
      assert.equal(await send('from_endpoint', reply), TC_ACT_SHOT, 'after expiry the "reply" is a new egress flow, denied');
      assert.equal((await flows.waitFor((f) => f.verdict === 'dropped')).cookie, EG_POLICY);
    } finally {
      await dp.setConntrackTimeouts({});
    }
  });

  await t.test('a protocol conntrack cannot follow is dropped under policy (137), passes where no policy applies', async () => {
    const gre = craftTestPacket({ src: PEER.ip, dst: EP.ip, protocol: 'udp', sport: 1, dport: 1 });
    gre[14 + 9] = 47;
    flows.clear();
    assert.equal((await dp.testRun('to_endpoint', dev, gre)).retval, TC_ACT_SHOT);
    const drop = await flows.waitFor((f) => f.verdict === 'dropped');
    assert.equal(drop.dropReason, DropReason.CtUnknownL4Protocol);
    assert.equal(drop.protocol, 47);
    const open = [{ ...endpoints[0]!, ingressPolicyCookie: 0 }];
    await dp.setEndpoints(open);
    try {
      assert.equal((await dp.testRun('to_endpoint', dev, gre)).retval, TC_ACT_OK, 'default-allow direction');
    } finally {
      await dp.setEndpoints(endpoints);
    }
  });

  await t.test('trace-all switched at run time: established packets are reported only while it is on', async () => {
    const sp = 40010;
    await send('to_endpoint', inbound(sp, TcpFlag.SYN));
    flows.clear();
    await send('to_endpoint', inbound(sp, TcpFlag.ACK));
    await send('to_endpoint', { ...inbound(1, TcpFlag.SYN), dport: 81 }); // a drop as a marker: events are in order
    await flows.waitFor((f) => f.verdict === 'dropped');
    assert.equal(flows.flows.filter((f) => f.match === 'ct-established').length, 0);
    await dp.setTraceAll(true);
    try {
      flows.clear();
      await send('to_endpoint', inbound(sp, TcpFlag.ACK));
      const traced: RecordedFlow = await flows.waitFor((f) => f.match === 'ct-established');
      assert.equal(traced.sport, sp);
    } finally {
      await dp.setTraceAll(false);
    }
  });

  await t.test('per-CPU counters: forwarded, dropped by reason, conntrack created', async () => {
    const { counters, drops } = await dp.counters();
    assert.ok(counters.forwarded! > 0 && counters.ctCreated! > 0, JSON.stringify(counters));
    assert.ok(drops[DropReason.PolicyDenied]! >= 2 && drops[DropReason.CtUnknownL4Protocol]! >= 1, JSON.stringify(drops));
    assert.equal(counters.dropped, Object.values(drops).reduce((a, b) => a + b, 0), 'drops by reason add up to dropped');
    assert.equal(await dp.takeLostCount(), 0);
  });
});

test('ring-buffer overflow is counted and reported, never silent', async (t) => {
  const { dev, dp, flows } = await openTestRunDatapath(t, 'psrb');
  const endpoints = [{ ...EP, ifname: dev, ingressPolicyCookie: 0, egressPolicyCookie: 0 }];
  await dp.applyPolicyState({ endpoints, ipcache: [], entries: [] });
  await dp.setEndpoints(endpoints);
  await dp.setTraceAll(true);

  // 4 MiB of 56-byte records holds ~75,000 events; 300,000 packets in one kernel loop outrun the reader.
  const packet = craftTestPacket({ src: PEER.ip, dst: EP.ip, protocol: 'udp', sport: 1234, dport: 53 });
  const repeat = 300_000;
  await dp.testRun('to_endpoint', dev, packet, repeat);
  const lost = await dp.takeLostCount();
  assert.ok(lost > 0, 'overflow counted');
  // Wait for the reader to drain what fitted: delivered + lost accounts for every packet.
  let delivered = -1;
  while (delivered !== flows.flows.length) {
    delivered = flows.flows.length;
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.equal(delivered + lost, repeat, `delivered ${delivered} + lost ${lost}`);
  assert.equal((await dp.counters()).counters.ringbufFull, lost);
  assert.equal(await dp.takeLostCount(), 0, 'reported once');
});
