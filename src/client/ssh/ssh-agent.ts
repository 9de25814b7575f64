/**
 * Starts the agent on an SSH target: connect, check the VM can run it (Node
 * >= 18, root or passwordless sudo), upload the bundle when it changed, then
 * run `node agent.js` over ONE exec channel kept open for the whole session
 * and speak JSON-RPC over its stdio. Closing the channel ends the agent; its
 * pinned datapath keeps enforcing.
 */
import type { Client } from 'ssh2';
import { connectAgentStreams, type AgentHandle } from '../agent-process';
import type { AgentBundle } from '../agent-bundle';
import type { AgentLogMessage } from '../../protocol/agent-rpc';
import { shellCommand } from '../shell-quote';
import { uploadAgentBundle, type UploadResult } from './agent-upload';
import { connectSsh, type SshConnectHooks, type SshEndpoint } from './ssh-connection';
import { execCapture, openExec } from './ssh-exec';

export const MIN_NODE_MAJOR = 18;

export class NodeMissingError extends Error {}
export class SudoRequiredError extends Error {}

export interface RemotePreflight {
  uid: number;
  nodeVersion?: string;
  /** Where the login shell finds node: sudo resets PATH to its secure_path, so the agent is started by this absolute path. */
  nodePath?: string;
  kernel: string;
  sudo: boolean;
}

// A fixed script (no user text): who we are, which node, which kernel, whether sudo works without a password.
const PREFLIGHT = [
  'echo "uid=$(id -u)"',
  'echo "node=$(node --version 2>/dev/null)"',
  'echo "nodepath=$(command -v node 2>/dev/null)"',
  'echo "kernel=$(uname -r)"',
  'if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then echo sudo=yes; else echo sudo=no; fi',
].join('; ');

export async function preflight(client: Client): Promise<RemotePreflight> {
  const res = await execCapture(client, { script: PREFLIGHT });
  const v = Object.fromEntries(res.stdout.split('\n').map((l) => l.split('=')).filter((p) => p.length >= 2).map(([k, ...r]) => [k!.trim(), r.join('=').trim()]));
  const nodePath = v.nodepath?.startsWith('/') ? v.nodepath : undefined;
  return { uid: Number(v.uid ?? -1), nodeVersion: v.node || undefined, nodePath, kernel: v.kernel ?? '', sudo: v.sudo === 'yes' };
}

/** Throws the message the user needs when the VM cannot run the agent. */
export function checkPreflight(p: RemotePreflight, where: string): void {
  if (!p.nodeVersion) {
    throw new NodeMissingError(
      `Node.js is not installed on ${where}: the agent needs node >= ${MIN_NODE_MAJOR} on the VM (Debian/Ubuntu: sudo apt-get install nodejs; other distributions: their nodejs package or https://nodejs.org).`,
    );
  }
  const major = Number(/^v?(\d+)/.exec(p.nodeVersion)?.[1] ?? 0);
  if (major < MIN_NODE_MAJOR) throw new NodeMissingError(`${where} has Node.js ${p.nodeVersion}; the agent needs node >= ${MIN_NODE_MAJOR}.`);
  if (p.uid !== 0 && !p.sudo) {
    throw new SudoRequiredError(
      `The agent loads BPF programs and creates network namespaces, which needs root. On ${where} you are uid ${p.uid} and sudo asks for a password: ` +
        'log in as root, or allow passwordless sudo for node (e.g. a sudoers line "<user> ALL=(root) NOPASSWD: ALL").',
    );
  }
}

/**
 * The agent's command line on the target. Under sudo, node is named by the
 * absolute path the user's shell found (a node from nvm or ~/.local/bin is not
 * on sudo's secure_path, so a bare `node` would not be found).
 */
export function agentCommand(dir: string, labName: string, asRoot: boolean, nodePath = 'node'): string[] {
  const argv = [asRoot ? 'node' : nodePath, `${dir}/agent.js`, '--lab', labName, '--bpf-dir', `${dir}/bpf`];
  return asRoot ? argv : ['sudo', '-n', '--', ...argv];
}

export interface SshAgentOptions {
  endpoint: SshEndpoint;
  hooks?: SshConnectHooks;
  bundle: AgentBundle;
  /** Where bundles live on the target; `~/` is the login directory. */
  remoteDir: string;
  labName: string;
  /** The agent's own messages and stderr. */
  log?: (m: AgentLogMessage) => void;
  /** Connection and upload (the target's side); the agent log when absent. */
  targetLog?: (m: AgentLogMessage) => void;
}

export interface SshAgentHandle extends AgentHandle {
  client: Client;
  upload: UploadResult;
  preflight: RemotePreflight;
}

export async function startSshAgent(options: SshAgentOptions): Promise<SshAgentHandle> {
  const { endpoint } = options;
  const where = `${endpoint.user}@${endpoint.host}:${endpoint.port}`;
  const client = await connectSsh(endpoint, options.hooks);
  try {
    const pre = await preflight(client);
    checkPreflight(pre, where);
    const upload = await uploadAgentBundle(client, options.bundle, options.remoteDir);
    (options.targetLog ?? options.log)?.({ level: 'info', message: upload.uploaded ? `uploaded agent ${options.bundle.version} (${upload.bytes} bytes) to ${where}:${upload.dir}` : `agent ${options.bundle.version} already on ${where}` });
    const channel = await openExec(client, shellCommand(agentCommand(upload.dir, options.labName, pre.uid === 0, pre.nodePath)));
    let stderrTail = '';
    channel.stderr.setEncoding('utf8');
    channel.stderr.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-4000);
      for (const line of chunk.split('\n')) if (line.trim()) options.log?.({ level: 'debug', message: `[agent stderr] ${line}` });
    });
    let exitCode: number | null = null;
    channel.on('exit', (code: number | null) => { exitCode = code; });
    let clientClosed = false;
    const exited = new Promise<number | null>((resolve) => {
      channel.once('close', () => resolve(exitCode));
      client.once('close', () => { clientClosed = true; resolve(exitCode); });
    });
    const connection = connectAgentStreams(channel, channel, options.log);
    let disposed = false;
    return {
      connection,
      exited,
      client,
      upload,
      preflight: pre,
      async dispose() {
        if (disposed) return;
        disposed = true;
        connection.dispose();
        channel.end();
        const timer = setTimeout(() => client.end(), 3000);
        await exited;
        clearTimeout(timer);
        // Wait for the connection itself to close, so nothing of it outlives dispose().
        const closed = clientClosed ? Promise.resolve() : new Promise<void>((resolve) => { client.once('close', () => resolve()); setTimeout(resolve, 3000).unref(); });
        client.end();
        await closed;
      },
      get stderr() { return stderrTail; },
    } as SshAgentHandle;
  } catch (e) {
    client.end();
    throw e;
  }
}
