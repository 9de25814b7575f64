/**
 * Probes: a real connection attempt between two lab endpoints, inside the
 * lab's namespaces only. TCP: a listener in the destination, a connect with a
 * timeout from the source (connected = allowed, timeout = denied). UDP: an
 * echo server and one datagram (reply = allowed). ICMP: `ping -c1`. The
 * helpers are this agent in probe mode (probe-mode.ts), entered into the
 * namespace with nsenter. The result carries the datapath's flow event for
 * the probe, found by its 5-tuple within the probe's time window.
 */
import type { ChildProcess } from 'node:child_process';
import type { EndpointState, ProbeParams, ProbeResult } from '../../protocol/agent-rpc';
import type { FlowEvent } from '../../protocol/flow-event';
import { CommandError, run, selfCommand, start } from '../host/exec';
import type { FlowStream } from '../flows/flow-stream';
import type { ConnectReport } from './probe-mode';
import { netnsPath } from '../lab/names';

export const DEFAULT_PROBE_TIMEOUT_MS = 1500;
/** Node (and tsx, when the agent runs from source) needs time to start before the helper does anything. */
const HELPER_START_SLACK_MS = 15_000;
/** How long to wait for the datapath's flow event after the probe finished. */
const FLOW_GRACE_MS = 400;

type Log = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;

export class Prober {
  private readonly children = new Set<ChildProcess>();

  constructor(private readonly flows: FlowStream | undefined, private readonly log: Log) {}

  async probe(params: ProbeParams, from: EndpointState, to: EndpointState): Promise<ProbeResult> {
    const timeoutMs = params.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
    const t0 = Date.now();
    let outcome: string;
    let sport = 0;
    if (params.protocol === 'icmp') {
      outcome = await this.ping(from, to, timeoutMs);
    } else {
      const listener = await this.startListener(to, params.protocol, params.port!, timeoutMs);
      try {
        const report = await this.connect(from, to, params.protocol, params.port!, timeoutMs);
        outcome = report.outcome;
        sport = report.sport;
        if (report.error) this.log('warn', `probe ${from.name} → ${to.name}: ${report.error}`);
      } finally {
        this.stop(listener);
      }
    }
    const allowed = outcome === 'connected' || outcome === 'refused' || outcome === 'reply';
    const result: ProbeResult = {
      verdict: allowed ? 'allowed' : 'denied',
      outcome,
      durationMs: Date.now() - t0,
      from: from.name,
      to: to.name,
    };
    const flow = await this.findFlow(t0 - 50, from, to, params, sport);
    if (flow) result.flow = flow;
    return result;
  }

  /** End every helper still running (agent shutdown), by PID. */
  stopAll(): void {
    for (const c of this.children) this.stop(c);
  }

  private helperArgv(netns: string, args: string[]): { command: string; args: string[] } {
    const self = selfCommand(args);
    return { command: 'nsenter', args: [`--net=${netnsPath(netns)}`, '--', self.command, ...self.args] };
  }

  private startListener(to: EndpointState, proto: 'tcp' | 'udp', port: number, timeoutMs: number): Promise<ChildProcess> {
    const { command, args } = this.helperArgv(to.netns, ['probe-listen', proto, String(port), String(timeoutMs + HELPER_START_SLACK_MS * 2)]);
    const child = start(command, args);
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      const fail = (why: string) => { clearTimeout(timer); this.stop(child); reject(new Error(`probe listener in ${to.name} ${why}${err ? `: ${err.trim()}` : ''}`)); };
      const timer = setTimeout(() => fail('did not start in time'), HELPER_START_SLACK_MS);
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) { clearTimeout(timer); resolve(child); }
      });
      child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
      child.on('error', (e) => fail(`failed: ${e.message}`));
      child.on('exit', (code) => { if (!out.includes('ready')) fail(`exited with ${code}`); });
    });
  }

  private async connect(from: EndpointState, to: EndpointState, proto: 'tcp' | 'udp', port: number, timeoutMs: number): Promise<ConnectReport> {
    const { command, args } = this.helperArgv(from.netns, ['probe-connect', proto, to.ip, String(port), String(timeoutMs)]);
    const { stdout } = await run(command, args, { timeoutMs: timeoutMs + HELPER_START_SLACK_MS });
    const line = stdout.trim().split('\n').pop() ?? '';
    return JSON.parse(line) as ConnectReport;
  }

  private async ping(from: EndpointState, to: EndpointState, timeoutMs: number): Promise<string> {
    const seconds = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
    try {
      await run('nsenter', [`--net=${netnsPath(from.netns)}`, '--', 'ping', '-n', '-q', '-c', '1', '-W', seconds, to.ip], { timeoutMs: timeoutMs + 5000 });
      return 'reply';
    } catch (e) {
      // ping exits 1 when no reply came; anything else (missing binary, bad netns) is a real failure.
      if (e instanceof CommandError && e.exitCode === 1) return 'no-reply';
      throw e;
    }
  }

  private stop(child: ChildProcess): void {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try { process.kill(child.pid, 'SIGTERM'); } catch { /* already gone */ }
    }
    this.children.delete(child);
  }

  /**
   * The event that decided this probe: a drop if there was one, else a rule
   * match, else whatever the datapath reported for the 5-tuple.
   */
  private async findFlow(since: number, from: EndpointState, to: EndpointState, p: ProbeParams, sport: number): Promise<FlowEvent | undefined> {
    if (!this.flows?.attached) return undefined;
    const matches = (f: FlowEvent) =>
      f.src.ip === from.ip && f.dst.ip === to.ip && f.protocol === p.protocol &&
      (p.protocol === 'icmp' || (f.dst.port === p.port && f.src.port === sport));
    const deadline = Date.now() + FLOW_GRACE_MS;
    let best: FlowEvent | undefined;
    for (;;) {
      const found = this.flows.find(since, matches);
      best = pickDecisive(found);
      // A drop, or the packet seen entering the destination (the last enforcement point), settles it.
      if (found.some((f) => f.verdict === 'dropped' || (f.direction === 'ingress' && f.endpoint === to.name))) return best;
      if (Date.now() >= deadline) return best;
      await this.flows.waitForNext(deadline - Date.now());
    }
  }
}

const MATCH_RANK: Record<string, number> = { policy: 0, 'default-deny': 1, 'default-allow': 2, 'ct-established': 3, 'ct-reply': 4, none: 5 };

export function pickDecisive(flows: FlowEvent[]): FlowEvent | undefined {
  const dropped = flows.find((f) => f.verdict === 'dropped');
  if (dropped) return dropped;
  return [...flows].sort((a, b) => (MATCH_RANK[a.match] ?? 9) - (MATCH_RANK[b.match] ?? 9) || (a.direction === 'ingress' ? -1 : 1))[0];
}
