/**
 * npm run bench:datapath:program — what the datapath costs per packet, in the
 * kernel, without the noise of real traffic: BPF_PROG_TEST_RUN of the real
 * endpoint program, repeated in the kernel, on crafted packets of an
 * established flow (the common case: every packet after the first), a new
 * allowed flow and a default-deny drop. The kernel reports the mean time per
 * run. Real traffic passes two endpoint programs (the sender's egress and the
 * receiver's ingress), so a packet costs about twice the first rows.
 *
 * Environment: BENCH_REPEAT (runs per case, 200,000).
 */
import type { TestContext } from 'node:test';
import { craftTestPacket, TcpFlag } from '../../src/agent/datapath/test-packet';
import { openTestRunDatapath } from '../../test/kernel/datapath-fixture';

const REPEAT = Number(process.env.BENCH_REPEAT ?? 200_000);
const EP = { endpointId: 7, ip: '10.244.1.2', identity: 1001 };
const PEER = { ip: '10.244.2.2', identity: 1002 };

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench:datapath:program needs root (BPF)');
  const cleanups: (() => unknown)[] = [];
  const t = { after: (fn: () => unknown) => { cleanups.push(fn); } } as unknown as TestContext;
  try {
    const { dev, dp } = await openTestRunDatapath(t, 'pc');
    await dp.setEndpoints([{ ...EP, ifname: dev, ingressPolicyCookie: 0x1, egressPolicyCookie: 0 }]);
    await dp.setIpcache([{ cidr: `${EP.ip}/32`, identity: EP.identity }, { cidr: `${PEER.ip}/32`, identity: PEER.identity }]);
    const ingress = { endpointId: EP.endpointId, direction: 'ingress' as const, identity: PEER.identity, action: 'allow' as const };
    await dp.setPolicy([
      { ...ingress, protocol: 17, portStart: 9000, portEnd: 9000, cookie: 0xa1 },
      { ...ingress, protocol: 6, portStart: 8080, portEnd: 8080, cookie: 0xa2 },
    ]);
    const udp = craftTestPacket({ src: PEER.ip, dst: EP.ip, protocol: 'udp', sport: 40000, dport: 9000 });
    const ack = craftTestPacket({ src: PEER.ip, dst: EP.ip, protocol: 'tcp', sport: 40001, dport: 8080, tcpFlags: TcpFlag.ACK });
    // The first packet of each creates its conntrack entry; the measured runs are established.
    await dp.testRun('to_endpoint', dev, udp);
    await dp.testRun('to_endpoint', dev, craftTestPacket({ src: PEER.ip, dst: EP.ip, protocol: 'tcp', sport: 40001, dport: 8080, tcpFlags: TcpFlag.SYN }));
    const cases: [string, Uint8Array, number][] = [
      ['established UDP, 16 B payload', udp, REPEAT],
      ['established TCP ACK, no payload (66 B frame)', ack.slice(0, 14 + 20 + 20), REPEAT],
      // Every run of these emits a flow event; fewer runs keep the ring buffer from overflowing.
      ['default-deny drop (new flow, event)', craftTestPacket({ src: PEER.ip, dst: EP.ip, protocol: 'tcp', sport: 40002, dport: 81 }), Math.min(REPEAT, 20_000)],
    ];
    console.log(`bench:datapath:program — mean ns per run of to_endpoint (BPF_PROG_TEST_RUN, kernel-side repeat)`);
    console.log('| case | runs | ns per run |');
    console.log('|---|---|---|');
    const rows = [];
    for (const [name, packet, repeat] of cases) {
      const samples = [];
      for (let i = 0; i < 5; i++) samples.push((await dp.testRun('to_endpoint', dev, packet, repeat)).durationNs);
      samples.sort((a, b) => a - b);
      const ns = samples[2]!;
      rows.push({ case: name, repeat, ns });
      console.log(`| ${name} | ${repeat} × 5 (median) | ${ns} |`);
    }
    console.log(JSON.stringify({ bench: 'datapath-program', rows }));
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
