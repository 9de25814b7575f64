/**
 * The agent as the reliability, differential and benchmark code drives it: a
 * child process started from source (`node --import tsx src/agent/main.ts`),
 * spoken to over its stdio with vscode-jsonrpc, exactly as the extension does.
 * Stopping is always by this child's PID; the lab it built is removed by
 * `removeLabLeftovers` (the harness's last-resort cleanup), never by name patterns
 * other than the lab's own.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { NETNS_DIR, netnsPrefix, pinDir, stateDir } from '../../../src/agent/lab/names';
import { AGENT_PROTOCOL_VERSION, FlowsPackedNotification, Hello, type FlowBatchPacked, type HelloResult } from '../../../src/protocol/agent-rpc';
import { receivedFlows, type ReceivedFlows } from '../../harness/received-flows';

export const REPO_ROOT = path.resolve(__dirname, '../../..');

export interface AgentUnderTest {
  connection: MessageConnection;
  child: ChildProcess;
  pid: number;
  /** The last 50 kB the agent wrote to stderr (its log). */
  stderr(): string;
  /** Every flows/batchPacked notification received so far, as objects. */
  batches: ReceivedFlows[];
  /** Resolves with the exit code (or signal) when the agent process ends. */
  exited: Promise<number | string | null>;
  hello(): Promise<HelloResult>;
  /** SIGKILL: no cleanup at all, as if the machine's OOM killer took it. */
  kill(): Promise<void>;
  /** Close stdin (the agent's normal way to stop) and wait for the exit. */
  stop(): Promise<void>;
  dispose(): void;
}

export interface StartAgentOptions {
  bpfDir?: string;
  /** Instead of keeping `batches`: each notification as it came (a benchmark that counts columns). */
  onBatch?: (batch: FlowBatchPacked) => void;
  /**
   * 'bundle': dist/agent.js (what users run; `npm test` builds it first). Its probe
   * helpers start in a fraction of the time tsx needs, which matters for tests
   * that run many probes. Falls back to the sources when there is no bundle.
   */
  entry?: 'source' | 'bundle';
}

export function startAgent(lab: string, options: StartAgentOptions = {}): AgentUnderTest {
  const bundle = path.join(REPO_ROOT, 'dist/agent.js');
  const useBundle = options.entry === 'bundle' && fs.existsSync(bundle);
  const args = [...(useBundle ? [bundle] : ['--import', 'tsx', path.join(REPO_ROOT, 'src/agent/main.ts')]), '--lab', lab];
  if (options.bpfDir) args.push('--bpf-dir', options.bpfDir);
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-50_000); });
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const batches: ReceivedFlows[] = [];
  connection.onNotification(FlowsPackedNotification, (b) => {
    if (options.onBatch) options.onBatch(b);
    else batches.push(receivedFlows(b));
  });
  // Writes to a killed agent fail; the test sees that through its own requests.
  connection.onError(() => undefined);
  child.stdin!.on('error', () => undefined);
  connection.listen();
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    connection, child, pid: child.pid!, batches, exited,
    stderr: () => stderr,
    hello: () => connection.sendRequest(Hello, { clientVersion: 'reliability-test', protocolVersion: AGENT_PROTOCOL_VERSION }),
    async kill() {
      if (alive()) process.kill(child.pid!, 'SIGKILL');
      await exited;
      connection.dispose();
    },
    async stop() {
      if (alive()) child.stdin!.end();
      await exited;
      connection.dispose();
    },
    dispose() {
      connection.dispose();
      if (alive()) {
        try { process.kill(child.pid!, 'SIGKILL'); } catch { /* already gone */ }
      }
    },
  };
}

/**
 * startAgent for one node:test test: when the test ends, also on failure, the
 * agent is killed by its PID (unless it already exited) and its lab removed.
 */
export function startAgentForTest(t: TestContext, lab: string, options: StartAgentOptions = {}): AgentUnderTest {
  const agent = startAgent(lab, options);
  t.after(() => agent.dispose());
  removeLabAfter(t, lab);
  return agent;
}

/** Whatever happens in the test, the lab's namespaces, bpffs pins and state dir go away afterwards. */
export function removeLabAfter(t: TestContext, lab: string): void {
  t.after(() => {
    let names: string[] = [];
    try { names = fs.readdirSync(NETNS_DIR).filter((n) => n.startsWith(netnsPrefix(lab))); } catch { /* none */ }
    for (const ns of names) {
      try { execFileSync('ip', ['netns', 'del', ns]); } catch { /* already gone */ }
    }
    fs.rmSync(pinDir(lab), { recursive: true, force: true });
    fs.rmSync(stateDir(lab), { recursive: true, force: true });
  });
}

/** A lab name no other test run uses at the same time: tag + base-36 of pid and clock (^[a-z][a-z0-9]{0,7}$). */
export function uniqueLab(tag: string): string {
  return `${tag}${(process.pid % 1296).toString(36)}${(Date.now() % 46656).toString(36)}`.slice(0, 8);
}

/** The JSON-RPC error a promise rejects with (fails the test if it resolves or throws something else). */
export async function rpcError(p: Promise<unknown>): Promise<ResponseError<unknown>> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ResponseError) return e;
    throw e;
  }
  throw new Error('expected a JSON-RPC error, got a result');
}
