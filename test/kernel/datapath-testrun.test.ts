/**
 * The datapath's decisions, packet by packet, with BPF_PROG_TEST_RUN on the
 * real programs and maps: allow by rule, default deny, deny rules, deny
 * precedence, port ranges, wildcard identity, conntrack replies and
 * malformed packets, each with the flow event the agent would report.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { craftTestPacket, icmpQuoteOf, TcpFlag, type TestPacketSpec } from '../../src/agent/datapath/test-packet';
import { DropReason } from '../../src/protocol/drop-reasons';
import { ifindexOf, openTestRunDatapath, type RecordedFlow } from './datapath-fixture';

const TC_ACT_OK = 0;
const TC_ACT_SHOT = 2;

const EP = { endpointId: 7, ip: '10.244.1.2', identity: 1001 };
const FRONTEND = { ip: '10.244.2.2', identity: 1002 };
const ADMIN = { ip: '10.244.3.2', identity: 1003 };
const INGRESS_POLICY = 0x1111_0001;
const EGRESS_POLICY = 0x2222_0002;
const C = {
  allow8080: 0xa0000001, allowRange: 0xa0000002, denyInRange: 0xa0000003, wildcardDeny6k: 0xa0000004,
  allow6100: 0xa0000005, denyAdminAll: 0xa0000006, allowAdmin7000: 0xa0000007, wildcardUdp53: 0xa0000008,
  icmpEcho: 0xa0000009,
};

test('datapath decisions on crafted packets (BPF_PROG_TEST_RUN)', async (t) => {
  const { dev, dp, flows, node } = await openTestRunDatapath(t, 'pstr');

  await dp.setEndpoints([{ ...EP, ifname: dev, ingressPolicyCookie: INGRESS_POLICY, egressPolicyCookie: EGRESS_POLICY }]);
  await dp.setIpcache([
    { cidr: `${EP.ip}/32`, identity: EP.identity },
    { cidr: `${FRONTEND.ip}/32`, identity: FRONTEND.identity },
    { cidr: `${ADMIN.ip}/32`, identity: ADMIN.identity },
  ]);
  const ingress = { endpointId: EP.endpointId, direction: 'ingress' as const };
  const written = await dp.setPolicy([
    { ...ingress, identity: FRONTEND.identity, protocol: 6, portStart: 8080, portEnd: 8080, action: 'allow', cookie: C.allow8080 },
    { ...ingress, identity: FRONTEND.identity, protocol: 6, portStart: 9000, portEnd: 9100, action: 'allow', cookie: C.allowRange },
    { ...ingress, identity: FRONTEND.identity, protocol: 6, portStart: 9050, portEnd: 9050, action: 'deny', cookie: C.denyInRange },
    { ...ingress, identity: 0, protocol: 6, portStart: 6000, portEnd: 6999, action: 'deny', cookie: C.wildcardDeny6k },
    { ...ingress, identity: FRONTEND.identity, protocol: 6, portStart: 6100, portEnd: 6100, action: 'allow', cookie: C.allow6100 },
    { ...ingress, identity: ADMIN.identity, protocol: 0, portStart: 0, portEnd: 0, action: 'deny', cookie: C.denyAdminAll },
    { ...ingress, identity: ADMIN.identity, protocol: 6, portStart: 7000, portEnd: 7000, action: 'allow', cookie: C.allowAdmin7000 },
    { ...ingress, identity: 0, protocol: 17, portStart: 53, portEnd: 53, action: 'allow', cookie: C.wildcardUdp53 },
    { ...ingress, identity: FRONTEND.identity, protocol: 1, portStart: 8, portEnd: 8, action: 'allow', cookie: C.icmpEcho },
  ]);
  assert.ok(written.written > 9, 'ranges expand into several prefixes');

  let sport = 41000;
  async function run(program: 'to_endpoint' | 'from_endpoint', spec: Partial<TestPacketSpec> & Pick<TestPacketSpec, 'protocol'>): Promise<{ retval: number; flow: RecordedFlow }> {
    const packet: TestPacketSpec = { src: FRONTEND.ip, dst: EP.ip, sport: sport++, dport: 80, ...spec };
    flows.clear();
    const res = await dp.testRun(program, dev, craftTestPacket(packet));
    const flow = await flows.waitFor(() => true);
    return { retval: res.retval, flow };
  }

  await t.test('allow by rule reports the rule cookie', async () => {
    const { retval, flow } = await run('to_endpoint', { protocol: 'tcp', dport: 8080, sport: 45000 });
    assert.equal(retval, TC_ACT_OK);
    assert.equal(flow.verdict, 'forwarded');
    assert.equal(flow.match, 'policy');
    assert.equal(flow.cookie, C.allow8080);
    assert.equal(flow.direction, 'ingress');
    assert.equal(flow.endpointId, EP.endpointId);
    assert.equal(flow.ifindex, ifindexOf(node, dev), 'the veth the program ran on, as ip link numbers it');
    assert.equal(flow.remoteIdentity, FRONTEND.identity);
    assert.deepEqual([flow.saddr, flow.daddr, flow.sport, flow.dport, flow.protocol], [FRONTEND.ip, EP.ip, 45000, 8080, 6]);
    assert.equal(flow.tcpFlags, TcpFlag.SYN);
    assert.ok(flow.length > 0);
  });

  await t.test('no matching rule: default deny (133) with the policy cookie', async () => {
    const { retval, flow } = await run('to_endpoint', { protocol: 'tcp', dport: 8081 });
    assert.equal(retval, TC_ACT_SHOT);
    assert.equal(flow.verdict, 'dropped');
    assert.equal(flow.dropReason, DropReason.PolicyDenied);
    assert.equal(flow.match, 'default-deny');
    assert.equal(flow.cookie, INGRESS_POLICY);
  });

  await t.test('port range: inside allowed, outside denied', async () => {
    const inside = await run('to_endpoint', { protocol: 'tcp', dport: 9099 });
    assert.equal(inside.retval, TC_ACT_OK);
    assert.equal(inside.flow.cookie, C.allowRange);
    const low = await run('to_endpoint', { protocol: 'tcp', dport: 9000 });
    assert.equal(low.flow.cookie, C.allowRange);
    const outside = await run('to_endpoint', { protocol: 'tcp', dport: 9101 });
    assert.equal(outside.retval, TC_ACT_SHOT);
    assert.equal(outside.flow.dropReason, DropReason.PolicyDenied);
  });

  await t.test('deny rule inside a broader allow wins (181 + deny cookie)', async () => {
    const { retval, flow } = await run('to_endpoint', { protocol: 'tcp', dport: 9050 });
    assert.equal(retval, TC_ACT_SHOT);
    assert.equal(flow.dropReason, DropReason.PolicyDenyRule);
    assert.equal(flow.match, 'policy');
    assert.equal(flow.cookie, C.denyInRange);
  });

  await t.test('broader wildcard-identity deny wins over a narrower exact allow', async () => {
    const { retval, flow } = await run('to_endpoint', { protocol: 'tcp', dport: 6100 });
    assert.equal(retval, TC_ACT_SHOT);
    assert.equal(flow.dropReason, DropReason.PolicyDenyRule);
    assert.equal(flow.cookie, C.wildcardDeny6k);
  });

  await t.test('broader deny of the same identity wins over a narrower allow', async () => {
    const { retval, flow } = await run('to_endpoint', { src: ADMIN.ip, protocol: 'tcp', dport: 7000 });
    assert.equal(retval, TC_ACT_SHOT);
    assert.equal(flow.dropReason, DropReason.PolicyDenyRule);
    assert.equal(flow.cookie, C.denyAdminAll);
    assert.equal(flow.remoteIdentity, ADMIN.identity);
  });

  await t.test('wildcard identity allows any peer', async () => {
    const { retval, flow } = await run('to_endpoint', { src: '10.244.9.9', protocol: 'udp', dport: 53 });
    assert.equal(retval, TC_ACT_OK);
    assert.equal(flow.cookie, C.wildcardUdp53);
    assert.equal(flow.remoteIdentity, 2, 'unknown address is world');
  });

  await t.test('ICMP echo allowed by type; the reply passes by conntrack', async () => {
    const req = await run('to_endpoint', { protocol: 'icmp', icmpType: 8, icmpId: 77 });
    assert.equal(req.retval, TC_ACT_OK);
    assert.equal(req.flow.cookie, C.icmpEcho);
    await dp.setTraceAll(true);
    try {
      const reply = await run('from_endpoint', { src: EP.ip, dst: FRONTEND.ip, protocol: 'icmp', icmpType: 0, icmpId: 77 });
      assert.equal(reply.retval, TC_ACT_OK);
      assert.equal(reply.flow.match, 'ct-reply');
    } finally {
      await dp.setTraceAll(false);
    }
  });

  await t.test('reply of an allowed connection passes via conntrack; a new egress connection is denied', async () => {
    await run('to_endpoint', { protocol: 'tcp', sport: 46000, dport: 8080 });
    await dp.setTraceAll(true);
    try {
      const reply = await run('from_endpoint', { src: EP.ip, dst: FRONTEND.ip, sport: 8080, dport: 46000, protocol: 'tcp', tcpFlags: TcpFlag.SYN | TcpFlag.ACK });
      assert.equal(reply.retval, TC_ACT_OK);
      assert.equal(reply.flow.match, 'ct-reply');
      assert.equal(reply.flow.cookie, C.allow8080);
      assert.equal(reply.flow.direction, 'egress');
    } finally {
      await dp.setTraceAll(false);
    }
    const fresh = await run('from_endpoint', { src: EP.ip, dst: FRONTEND.ip, sport: 8080, dport: 46001, protocol: 'tcp' });
    assert.equal(fresh.retval, TC_ACT_SHOT);
    assert.equal(fresh.flow.dropReason, DropReason.PolicyDenied);
    assert.equal(fresh.flow.cookie, EGRESS_POLICY);
  });

  await t.test('an ICMP error about an allowed connection passes as related; an unrelated one is denied', async () => {
    const udp = { src: FRONTEND.ip, dst: EP.ip, protocol: 'udp' as const, sport: 48000, dport: 53 };
    await run('to_endpoint', udp);
    const unreachable = (quoted: TestPacketSpec) =>
      ({ src: EP.ip, dst: FRONTEND.ip, protocol: 'icmp' as const, icmpType: 3, icmpQuote: icmpQuoteOf(craftTestPacket(quoted)) });
    await dp.setTraceAll(true);
    try {
      const related = await run('from_endpoint', unreachable(udp));
      assert.equal(related.retval, TC_ACT_OK);
      assert.equal(related.flow.match, 'ct-reply');
      assert.equal(related.flow.cookie, C.wildcardUdp53);
    } finally {
      await dp.setTraceAll(false);
    }
    const unrelated = await run('from_endpoint', unreachable({ ...udp, sport: 48001 }));
    assert.equal(unrelated.retval, TC_ACT_SHOT);
    assert.equal(unrelated.flow.dropReason, DropReason.PolicyDenied);
  });

  await t.test('default mode reports new connections, not every packet', async () => {
    await run('to_endpoint', { protocol: 'tcp', sport: 47000, dport: 8080 });
    flows.clear();
    const res = await dp.testRun('to_endpoint', dev, craftTestPacket({ src: FRONTEND.ip, dst: EP.ip, protocol: 'tcp', sport: 47000, dport: 8080, tcpFlags: TcpFlag.ACK }));
    assert.equal(res.retval, TC_ACT_OK);
    // A drop right after is reported; the established packet before it was not.
    await run('to_endpoint', { protocol: 'tcp', dport: 1 });
    assert.equal(flows.flows.length, 1);
    assert.equal(flows.flows[0].verdict, 'dropped');
  });

  await t.test('truncated or invalid headers are dropped: CT invalid header (135), invalid packet (134)', async () => {
    const shortTcp = await run('to_endpoint', { protocol: 'tcp', dport: 8080, truncateTo: 14 + 20 + 10 });
    assert.equal(shortTcp.retval, TC_ACT_SHOT);
    assert.equal(shortTcp.flow.dropReason, DropReason.CtTruncatedOrInvalidHeader);
    // An IPv4 header claiming 12 bytes (IHL 3) is invalid. (The kernel's test
    // runner itself refuses frames too short for an IP header.)
    const badIhl = craftTestPacket({ src: FRONTEND.ip, dst: EP.ip, protocol: 'tcp', dport: 8080 });
    badIhl[14] = 0x43;
    flows.clear();
    const badIhlRes = await dp.testRun('to_endpoint', dev, badIhl);
    const shortIp = { retval: badIhlRes.retval, flow: await flows.waitFor(() => true) };
    assert.equal(shortIp.retval, TC_ACT_SHOT);
    assert.equal(shortIp.flow.dropReason, DropReason.InvalidPacket);
  });

  await t.test('IPv4 fragments: later fragments take the first one\'s ports; without a first one, 175', async () => {
    // First fragment of datagram 0x1234 to udp/53 (allowed from anyone): forwarded, its ports remembered.
    const first = await run('to_endpoint', { protocol: 'udp', sport: 43000, dport: 53, fragment: { id: 0x1234, offset: 0, more: true } });
    assert.equal(first.retval, TC_ACT_OK);
    assert.equal(first.flow.cookie, C.wildcardUdp53);
    // Its last fragment has no UDP header; with ports 0 the udp/53 rule could not match it.
    const tail = await dp.testRun('to_endpoint', dev, craftTestPacket({ src: FRONTEND.ip, dst: EP.ip, protocol: 'udp', fragment: { id: 0x1234, offset: 185, more: false } }));
    assert.equal(tail.retval, TC_ACT_OK, 'the tail of an allowed datagram passes');
    const frag = (await dp.dumpMaps(['ps_frag']))[0]!;
    assert.ok(frag.entries.some((e) => e.key.ipId === 0x1234 && e.value.dport === 53 && e.value.sport === 43000), JSON.stringify(frag.entries));

    const orphan = await run('to_endpoint', { protocol: 'udp', fragment: { id: 0x9999, offset: 185, more: false } });
    assert.equal(orphan.retval, TC_ACT_SHOT);
    assert.equal(orphan.flow.dropReason, DropReason.FragmentNotFound);

    // A denied datagram stays denied in every fragment, each judged on its real port.
    const deniedFirst = await run('to_endpoint', { protocol: 'udp', sport: 43001, dport: 54, fragment: { id: 0x2222, offset: 0, more: true } });
    assert.equal(deniedFirst.retval, TC_ACT_SHOT);
    const deniedTail = await run('to_endpoint', { protocol: 'udp', fragment: { id: 0x2222, offset: 185, more: false } });
    assert.equal(deniedTail.retval, TC_ACT_SHOT);
    assert.equal(deniedTail.flow.dropReason, DropReason.PolicyDenied);
    assert.deepEqual([deniedTail.flow.sport, deniedTail.flow.dport], [43001, 54]);
  });

  await t.test('counters count drops and the lost-event counter starts at zero', async () => {
    const { counters, drops } = await dp.counters();
    assert.ok(drops[DropReason.PolicyDenied]! > 0 && drops[DropReason.PolicyDenyRule]! > 0 && counters.forwarded! > 0, JSON.stringify({ counters, drops }));
    assert.equal(await dp.takeLostCount(), 0);
  });
});
