/**
 * Starts udp-stream.ts inside a lab namespace and collects its counts. The
 * generators run only inside namespaces of the caller's own lab; they are
 * stopped by closing their stdin (and, if that fails, SIGKILL by their PID).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { netnsPath } from '../../../src/agent/lab/names';
import { REPO_ROOT } from './agent-under-test';
import type { ReceiverReport, SenderReport } from './udp-stream';

const SCRIPT = path.join(__dirname, 'udp-stream.ts');
const START_TIMEOUT_MS = 30_000;

export interface Generator<R> { pid: number; stop(): Promise<R>; kill(): void }

function startInNetns<R>(netns: string, args: string[]): Promise<Generator<R>> {
  const child: ChildProcess = spawn('nsenter', [`--net=${netnsPath(netns)}`, '--', process.execPath, '--import', 'tsx', SCRIPT, ...args], {
    cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-4000); });
  child.stdin!.on('error', () => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) {
      try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ }
    }
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { kill(); reject(new Error(`udp-stream ${args.join(' ')} did not start in ${netns}: ${err}`)); }, START_TIMEOUT_MS);
    const onData = () => {
      if (!out.includes('ready\n')) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({
        pid: child.pid!,
        kill,
        async stop() {
          child.stdin!.end();
          const code = await exited;
          const line = out.split('\n').filter((l) => l.startsWith('{')).pop();
          if (code !== 0 || !line) throw new Error(`udp-stream ${args[0]} in ${netns} exited ${code}: ${err}`);
          return JSON.parse(line) as R;
        },
      });
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      if (!out.includes('ready\n')) { clearTimeout(timer); reject(new Error(`udp-stream ${args.join(' ')} exited ${code} in ${netns}: ${err}`)); }
    });
  });
}

export function startReceiver(netns: string, ports: number[]): Promise<Generator<ReceiverReport>> {
  return startInNetns(netns, ['recv', ...ports.map(String)]);
}

export function startSender(netns: string, dstIp: string, streams: { port: number; pps: number }[]): Promise<Generator<SenderReport>> {
  return startInNetns(netns, ['send', dstIp, ...streams.map((s) => `${s.port}:${s.pps}`)]);
}

export interface StreamFigures { port: number; sent: number; failed: number; delivered: number; duplicates: number }

/** Streams from one sender to one receiver: start both, and stop them in the order that lets in-flight packets land. */
export class UdpStreams {
  private constructor(private readonly receiver: Generator<ReceiverReport>, private readonly sender: Generator<SenderReport>) {}

  static async start(from: string, to: { netns: string; ip: string }, streams: { port: number; pps: number }[]): Promise<UdpStreams> {
    const receiver = await startReceiver(to.netns, streams.map((s) => s.port));
    try {
      return new UdpStreams(receiver, await startSender(from, to.ip, streams));
    } catch (e) {
      receiver.kill();
      throw e;
    }
  }

  /** Last-resort stop for t.after: kills both by PID. */
  kill(): void {
    this.sender.kill();
    this.receiver.kill();
  }

  async stop(): Promise<Map<number, StreamFigures>> {
    const sent = await this.sender.stop();
    // Datagrams still in flight through the namespaces land well within this.
    await new Promise((r) => setTimeout(r, 500));
    const received = await this.receiver.stop();
    const out = new Map<number, StreamFigures>();
    for (const [port, s] of Object.entries(sent.ports)) {
      const r = received.ports[port] ?? { distinct: 0, duplicates: 0 };
      out.set(Number(port), { port: Number(port), sent: s.sent, failed: s.failed, delivered: r.distinct, duplicates: r.duplicates });
    }
    return out;
  }
}
