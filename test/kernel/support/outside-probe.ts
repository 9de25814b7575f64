/**
 * Probes from a lab workload to an address outside the lab, for the
 * differential test's world and CIDR peers. The lab has no outside (endpoints
 * have no default route, the node has no link out), so the test routes each
 * outside address from the endpoints to the node, where the packet ends: it
 * crosses the source's egress program first, and that program's flow event
 * (forwarded or dropped) is the verdict. Nothing leaves the lab's namespaces.
 * The packet is the agent's own probe helper (a TCP connect, a UDP datagram)
 * or ping, run in the workload's namespace.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { NODE_IP } from '../../../src/agent/lab/addressing';
import { netnsPath } from '../../../src/agent/lab/names';
import type { FlowBatch, LabState, ProbeResult } from '../../../src/protocol/agent-rpc';
import type { FlowEvent } from '../../../src/protocol/flow-event';
import { REPO_ROOT } from './agent-under-test';
import type { Probe } from './random-policy';

const execFileAsync = promisify(execFile);
/** How long the egress event may take to reach us after the packet was sent. */
const FLOW_WAIT_MS = 1500;

/** The agent's probe helpers, as the agent under test would start them (bundle when built). */
function helperCommand(): string[] {
  const bundle = path.join(REPO_ROOT, 'dist/agent.js');
  return fs.existsSync(bundle) ? [process.execPath, bundle] : [process.execPath, '--import', 'tsx', path.join(REPO_ROOT, 'src/agent/main.ts')];
}

export class OutsideProber {
  /** `batches`: the flows/batch notifications of a subscribed agent, appended as they come. */
  constructor(private readonly batches: FlowBatch[]) {}

  /** Every endpoint routes `addresses` to the node (idempotent: run after each lab/apply). */
  async routeThroughNode(lab: LabState, addresses: readonly string[]): Promise<void> {
    for (const ep of lab.endpoints) {
      for (const address of addresses) await execFileAsync('ip', ['-n', ep.netns, 'route', 'replace', `${address}/32`, 'via', NODE_IP, 'dev', 'eth0']);
    }
  }

  async probe(lab: LabState, probe: Probe, timeoutMs: number): Promise<ProbeResult> {
    const from = lab.endpoints.find((e) => `${e.namespace}/${e.workload}` === probe.from || (e.namespace === 'default' && e.workload === probe.from));
    if (!from) throw new Error(`no endpoint of ${probe.from} in the lab`);
    const t0 = Date.now();
    this.batches.splice(0);
    const nsenter = ['--net=' + netnsPath(from.netns), '--'];
    let sport = 0;
    let outcome: string;
    if (probe.protocol === 'icmp') {
      // No reply can come; ping exits 1 and the flow event says what the datapath did.
      outcome = await execFileAsync('nsenter', [...nsenter, 'ping', '-n', '-q', '-c', '1', '-W', '1', probe.to]).then(() => 'reply', () => 'no-reply');
    } else {
      const [command, ...args] = helperCommand();
      const { stdout } = await execFileAsync('nsenter', [...nsenter, command!, ...args, 'probe-connect', probe.protocol, probe.to, String(probe.port), String(timeoutMs)]);
      const report = JSON.parse(stdout.trim().split('\n').pop()!) as { outcome: string; sport: number };
      sport = report.sport;
      outcome = report.outcome;
    }
    const flow = await this.egressEvent((f) =>
      f.src.ip === from.ip && f.dst.ip === probe.to && f.protocol === probe.protocol && f.direction === 'egress' &&
      (probe.protocol === 'icmp' || (f.src.port === sport && f.dst.port === probe.port)));
    const result: ProbeResult = {
      verdict: flow?.verdict === 'forwarded' ? 'allowed' : 'denied', outcome, durationMs: Date.now() - t0, from: from.name, to: probe.to,
    };
    if (flow) result.flow = flow;
    return result;
  }

  private async egressEvent(matches: (f: FlowEvent) => boolean): Promise<FlowEvent | undefined> {
    const deadline = Date.now() + FLOW_WAIT_MS;
    for (;;) {
      const found = this.batches.flatMap((b) => b.flows).find(matches);
      if (found || Date.now() >= deadline) return found;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
