/**
 * Starts the agent on the local host as a child process and returns a
 * JSON-RPC connection over its stdio. Used by the extension's local target and
 * by the CLI's `--live` mode; remote targets reuse `connectAgentStreams` over
 * an ssh2 or dockerode stream.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import { LogNotification, type AgentLogMessage } from '../protocol/agent-rpc';

export interface AgentHandle {
  connection: MessageConnection;
  /** Closes the connection and ends the agent (pins stay; the datapath keeps enforcing). */
  dispose(): Promise<void>;
  /** Resolves when the agent process exits. */
  exited: Promise<number | null>;
  pid?: number;
}

export interface LocalAgentOptions {
  /** Lab the agent serves; passed as `--lab`. */
  labName: string;
  /** dist/agent.js, or src/agent/main.ts (run under tsx). Defaults to the agent next to this bundle. */
  agentPath?: string;
  /** Node binary; defaults to this process's (with ELECTRON_RUN_AS_NODE for VS Code desktop). */
  nodePath?: string;
  log?: (message: AgentLogMessage) => void;
  /** The bpf/ sources the agent builds (`--bpf-dir`); default: the bpf/ shipped next to the agent. */
  bpfDir?: string;
}

export function defaultAgentPath(): string {
  const bundled = path.join(__dirname, 'agent.js');
  if (fs.existsSync(bundled)) return bundled;
  return path.resolve(__dirname, '../../dist/agent.js');
}

export function connectAgentStreams(input: Readable, output: Writable, log?: (m: AgentLogMessage) => void): MessageConnection {
  const connection = createMessageConnection(new StreamMessageReader(input), new StreamMessageWriter(output));
  if (log) connection.onNotification(LogNotification, log);
  connection.listen();
  return connection;
}

export async function startLocalAgent(options: LocalAgentOptions): Promise<AgentHandle> {
  const agentPath = options.agentPath ?? defaultAgentPath();
  if (!fs.existsSync(agentPath)) throw new Error(`agent bundle not found at ${agentPath} (run npm run build)`);
  const args = agentPath.endsWith('.ts') ? ['--import', 'tsx', agentPath] : [agentPath];
  args.push('--lab', options.labName);
  if (options.bpfDir) args.push('--bpf-dir', options.bpfDir);
  const child: ChildProcess = spawn(options.nodePath ?? process.execPath, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  child.stderr!.setEncoding('utf8');
  let stderrTail = '';
  child.stderr!.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-4000);
    for (const line of chunk.split('\n')) if (line.trim()) options.log?.({ level: 'debug', message: `[agent stderr] ${line}` });
  });
  const connection = connectAgentStreams(child.stdout!, child.stdin!, options.log);
  let disposed = false;
  return {
    connection,
    exited,
    pid: child.pid,
    async dispose() {
      if (disposed) return;
      disposed = true;
      connection.dispose();
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGTERM'), 3000);
      await exited;
      clearTimeout(timer);
    },
    get stderr() { return stderrTail; },
  } as AgentHandle;
}
