/**
 * The policy-studio agent. Runs as root in the dev VM and speaks JSON-RPC 2.0
 * on its stdio (nothing else is ever written to stdout; logs go to stderr and
 * as `agent/log` notifications). It opens no network port. When stdin closes
 * it exits; the lab and the pinned datapath stay and keep enforcing.
 *
 *   node dist/agent.js [--lab <name>] [--bpf-dir <dir>]
 *   node dist/agent.js probe-listen|probe-connect …   (probe helpers, see probe-mode.ts)
 */
import fs from 'node:fs';
import path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { FlowsPackedNotification } from '../protocol/agent-rpc';
import { defaultOpenDatapath } from './datapath/datapath-factory';
import { AgentLog } from './log';
import { NodeAgent } from './node-agent';
import { PROBE_MODES, runProbeHelper } from './probe/probe-mode';
import { serveAgent } from './rpc/rpc-server';
import { LAB_NAME_PATTERN } from './lab/names';

const DEFAULT_LAB = 'studio';

interface AgentArgs { lab: string; bpfDir: string | undefined }

function parseArgs(argv: string[]): AgentArgs {
  let lab = process.env.POLICY_STUDIO_LAB || DEFAULT_LAB;
  let bpfDir = process.env.POLICY_STUDIO_BPF_DIR || undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--lab') lab = argv[++i] ?? '';
    else if (a === '--bpf-dir') bpfDir = argv[++i];
    else throw new Error(`unknown argument ${JSON.stringify(a)} (usage: agent [--lab <name>] [--bpf-dir <dir>])`);
  }
  if (!LAB_NAME_PATTERN.test(lab)) throw new Error(`--lab: ${JSON.stringify(lab)} is not a lab name (^[a-z][a-z0-9]{0,7}$)`);
  return { lab, bpfDir: bpfDir ? path.resolve(bpfDir) : findBpfDir() };
}

/** bpf/ ships next to the agent: ../bpf from dist/agent.js, ../../bpf from src/agent/main.ts. */
function findBpfDir(): string | undefined {
  let dir = __dirname;
  for (let i = 0; i < 4; i++) {
    const candidate = path.join(dir, 'bpf');
    if (fs.existsSync(candidate) && fs.statSync(candidate).isDirectory()) return candidate;
    dir = path.dirname(dir);
  }
  return undefined;
}

function serve(args: AgentArgs): void {
  // Anything a dependency prints must not corrupt the RPC stream.
  console.log = console.error;
  console.info = console.error;
  const agentLog = new AgentLog();
  const log = agentLog.log;
  const connection = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
  const agent = new NodeAgent({
    lab: args.lab,
    bpfDir: args.bpfDir,
    openDatapath: defaultOpenDatapath(),
    log,
    sendFlows: (batch) => connection.sendNotification(FlowsPackedNotification, batch).catch(() => undefined),
  });

  let exiting = false;
  const exit = (code = 0) => {
    if (exiting) return;
    exiting = true;
    agentLog.attach(undefined);
    agent.close()
      .catch((e: Error) => log('error', `closing: ${e.message}`))
      .finally(() => {
        connection.dispose();
        process.exit(code);
      });
  };

  process.on('uncaughtException', (e) => log('error', `uncaught: ${e.stack ?? e.message}`));
  process.on('unhandledRejection', (e) => log('error', `unhandled rejection: ${e instanceof Error ? e.stack : String(e)}`));
  process.on('SIGTERM', () => exit(0));
  process.on('SIGINT', () => exit(0));
  process.stdin.on('end', () => exit(0));
  connection.onClose(() => exit(0));
  connection.onError(([err]) => log('warn', `RPC stream error: ${err.message}`));

  serveAgent(connection, agent, log, () => exit(0));
  connection.listen();
  agentLog.attach(connection);
  log('info', `agent ${process.pid} serving lab ${args.lab} (bpf sources: ${args.bpfDir ?? 'not found'})`);
}

function main(): void {
  const argv = process.argv.slice(2);
  if ((PROBE_MODES as readonly string[]).includes(argv[0] ?? '')) {
    void runProbeHelper(argv).then((code) => process.exit(code));
    return;
  }
  let args: AgentArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`policy-studio-agent: ${(e as Error).message}\n`);
    process.exit(2);
  }
  serve(args);
}

main();
