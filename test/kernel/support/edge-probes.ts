/**
 * The probes the agent's lab/probe cannot make (it goes from workload to
 * workload), for the differential test's world, CIDR and host peers:
 *
 * - from a workload to an address outside the lab. The lab has no outside
 *   (endpoints have no default route, the node has no link out), so the test
 *   routes each outside address from the endpoints to the node, where the
 *   packet ends: it crosses the source's egress program first, and that
 *   program's flow event (forwarded or dropped) is the verdict. Nothing
 *   leaves the lab's namespaces.
 * - from the node's namespace (the host entity) to a workload: the
 *   destination's ingress program decides, its flow event names the rule.
 * - an ICMP message of a type ping does not send (0 echo-reply, 13
 *   timestamp) from one workload to another, crafted on a raw socket by
 *   python3 (Node has none): the drop, or the destination's ingress event,
 *   is the verdict, as lab/probe picks it.
 *
 * The packets are the agent's own probe helpers (a TCP connect, a UDP
 * datagram and their listener) or ping, run in the namespaces with nsenter.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { NODE_IP } from '../../../src/agent/lab/addressing';
import { netnsPath } from '../../../src/agent/lab/names';
import type { EndpointState, LabState, ProbeResult } from '../../../src/protocol/agent-rpc';
import type { FlowEvent } from '../../../src/protocol/flow-event';
import type { ReceivedFlows } from '../../harness/received-flows';
import { pickDecisive } from '../../../src/agent/probe/probe';
import { REPO_ROOT } from './agent-under-test';
import type { Probe } from './random-policy';

const execFileAsync = promisify(execFile);
/** How long the enforcing side's flow event may take to reach us after the packet was sent. */
const FLOW_WAIT_MS = 1500;

/** Sends one ICMP message: argv dst, type, id. Checksummed here; the kernel adds the IP header. */
const ICMP_SENDER = `
import socket, struct, sys
dst, kind, ident = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
body = struct.pack('!HH', ident, 1) + (bytes(12) if kind == 13 else b'ps-probe')
def checksum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff
packet = struct.pack('!BBH', kind, 0, checksum(struct.pack('!BBH', kind, 0, 0) + body)) + body
socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).sendto(packet, (dst, 0))
`;

/** The agent's probe helpers, as the agent under test would start them (bundle when built). */
function helperCommand(): string[] {
  const bundle = path.join(REPO_ROOT, 'dist/agent.js');
  return fs.existsSync(bundle) ? [process.execPath, bundle] : [process.execPath, '--import', 'tsx', path.join(REPO_ROOT, 'src/agent/main.ts')];
}

export class EdgeProber {
  /** `batches`: the flow notifications of a subscribed agent (AgentUnderTest.batches), appended as they come. */
  constructor(private readonly batches: ReceivedFlows[]) {}

  /** Every endpoint routes `addresses` to the node (idempotent: run after each lab/apply). */
  async routeThroughNode(lab: LabState, addresses: readonly string[]): Promise<void> {
    for (const ep of lab.endpoints) {
      for (const address of addresses) await execFileAsync('ip', ['-n', ep.netns, 'route', 'replace', `${address}/32`, 'via', NODE_IP, 'dev', 'eth0']);
    }
  }

  /** From a workload to an outside address (`probe.outside`). */
  async toOutside(lab: LabState, probe: Probe, timeoutMs: number): Promise<ProbeResult> {
    const from = endpointOf(lab, probe.from);
    return this.send(from.netns, from.ip, probe.to, probe, timeoutMs, from.name, 'egress');
  }

  /** From the node's namespace to a workload (`probe.from` is `host`), with a listener there. */
  async fromHost(lab: LabState, probe: Probe, timeoutMs: number): Promise<ProbeResult> {
    const to = endpointOf(lab, probe.to);
    if (probe.protocol === 'icmp') return this.send(lab.nodeNetns, lab.nodeIp, to.ip, probe, timeoutMs, 'host', 'ingress');
    const [command, ...args] = helperCommand();
    // The listener prints "ready" and lives until killed (or its lifetime ends).
    const listener = execFile('nsenter', ['--net=' + netnsPath(to.netns), '--', command!, ...args, 'probe-listen', probe.protocol, String(probe.port), String(timeoutMs + 30_000)]);
    try {
      await new Promise<void>((resolve, reject) => {
        listener.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(); });
        listener.once('exit', (code) => reject(new Error(`probe listener in ${to.name} exited with ${code}`)));
      });
      return await this.send(lab.nodeNetns, lab.nodeIp, to.ip, probe, timeoutMs, 'host', 'ingress');
    } finally {
      listener.kill('SIGTERM');
    }
  }

  /** A crafted ICMP message of `probe.icmpType` between two workloads. */
  async icmpOfType(lab: LabState, probe: Probe): Promise<ProbeResult> {
    const from = endpointOf(lab, probe.from);
    const to = endpointOf(lab, probe.to);
    const t0 = Date.now();
    this.batches.splice(0);
    // A fresh echo id per message: echo-replies with one id would share a conntrack entry.
    const ident = 1 + Math.floor(Math.random() * 65534);
    await execFileAsync('nsenter', ['--net=' + netnsPath(from.netns), '--', 'python3', '-c', ICMP_SENDER, to.ip, String(probe.icmpType), String(ident)]);
    const seen = await this.flowEvents(
      (f) => f.time >= t0 - 50 && f.src.ip === from.ip && f.dst.ip === to.ip && f.protocol === 'icmp' && f.dst.port === probe.icmpType,
      (f) => f.verdict === 'dropped' || (f.direction === 'ingress' && f.endpoint === to.name));
    const flow = pickDecisive(seen);
    const result: ProbeResult = { verdict: flow?.verdict === 'forwarded' ? 'allowed' : 'denied', outcome: flow ? flow.verdict : 'no flow event', durationMs: Date.now() - t0, from: from.name, to: to.name };
    if (flow) result.flow = flow;
    return result;
  }

  /**
   * One packet (or connection attempt) from `netns`; the verdict is the flow
   * event of the enforcing side (the source's egress, or the destination's ingress).
   */
  private async send(netns: string, srcIp: string, dstIp: string, probe: Probe, timeoutMs: number, fromName: string, side: 'egress' | 'ingress'): Promise<ProbeResult> {
    const t0 = Date.now();
    this.batches.splice(0);
    const nsenter = ['--net=' + netnsPath(netns), '--'];
    let sport = 0;
    let outcome: string;
    if (probe.protocol === 'icmp') {
      // Outside, no reply can come: ping exits 1 and the flow event says what the datapath did.
      outcome = await execFileAsync('nsenter', [...nsenter, 'ping', '-n', '-q', '-c', '1', '-W', '1', dstIp]).then(() => 'reply', () => 'no-reply');
    } else {
      const [command, ...args] = helperCommand();
      const { stdout } = await execFileAsync('nsenter', [...nsenter, command!, ...args, 'probe-connect', probe.protocol, dstIp, String(probe.port), String(timeoutMs)]);
      const report = JSON.parse(stdout.trim().split('\n').pop()!) as { outcome: string; sport: number };
      sport = report.sport;
      outcome = report.outcome;
    }
    // ICMP has no port to tell probes apart: an event from before this send (a slow one of the last try) is not ours.
    const flow = await this.flowEvent((f) =>
      f.time >= t0 - 50 && f.src.ip === srcIp && f.dst.ip === dstIp && f.protocol === probe.protocol && f.direction === side &&
      (probe.protocol === 'icmp' || (f.src.port === sport && f.dst.port === probe.port)), timeoutMs);
    const result: ProbeResult = {
      verdict: flow?.verdict === 'forwarded' ? 'allowed' : 'denied', outcome, durationMs: Date.now() - t0, from: fromName, to: dstIp,
    };
    if (flow) result.flow = flow;
    return result;
  }

  private async flowEvent(matches: (f: FlowEvent) => boolean, waitMs?: number): Promise<FlowEvent | undefined> {
    return (await this.flowEvents(matches, () => true, waitMs))[0];
  }

  /** The flows so far that `matches`, once one of them `settles` it (or the wait, at least FLOW_WAIT_MS, is over). */
  private async flowEvents(matches: (f: FlowEvent) => boolean, settles: (f: FlowEvent) => boolean, waitMs = FLOW_WAIT_MS): Promise<FlowEvent[]> {
    const deadline = Date.now() + Math.max(FLOW_WAIT_MS, waitMs);
    for (;;) {
      const found = this.batches.flatMap((b) => b.flows).filter(matches);
      if (found.some(settles) || Date.now() >= deadline) return found;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

export function endpointOf(lab: LabState, workload: string): EndpointState {
  const ep = lab.endpoints.find((e) => `${e.namespace}/${e.workload}` === workload || (e.namespace === 'default' && e.workload === workload));
  if (!ep) throw new Error(`no endpoint of ${workload} in the lab`);
  return ep;
}
