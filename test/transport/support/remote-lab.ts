/**
 * What the transport tests share: a small lab bundle, a deploy over any
 * AgentHandle, direct probes from inside the lab's namespaces (to check the
 * datapath enforces while no agent is connected), and cleanup of agents the
 * targets started for a lab.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { AgentClient } from '../../../src/client/agent-client';
import type { AgentHandle } from '../../../src/client/agent-process';
import {
  AGENT_PROTOCOL_VERSION, FlowsPackedNotification, FlowsSubscribe, Hello,
  type HelloResult, type LabState,
} from '../../../src/protocol/agent-rpc';
import { receivedFlows, type ReceivedFlows } from '../../harness/received-flows';
import type { PolicyBundle } from '../../../src/protocol/policy-ir';
import { netnsPath } from '../../../src/agent/lab/names';
import { bundle, eq, peerOf, policy, workload } from '../../kernel/support/bundle-builder';

const execFileAsync = promisify(execFile);
export const REPO_ROOT = path.resolve(__dirname, '../../..');
// POLICY_STUDIO_TEST_AGENT_ROOT: run against another build (a dir with dist/agent.js and bpf/), e.g. a commit's export.
const AGENT_ROOT = process.env.POLICY_STUDIO_TEST_AGENT_ROOT || REPO_ROOT;
export const AGENT_JS = path.join(AGENT_ROOT, 'dist/agent.js');
export const BPF_DIR = path.join(AGENT_ROOT, 'bpf');

/** frontend → db: only 5432/tcp is allowed into db; everything else into db is default-denied. */
export const dbBundle: PolicyBundle = bundle(
  [workload('frontend', { app: 'frontend' }), workload('db', { app: 'db' })],
  [policy('db-ingress', [eq('app', 'db')], { ingress: [{ action: 'allow', peers: [peerOf(eq('app', 'frontend'))], ports: [{ protocol: 'tcp', port: 5432 }] }] })],
);

export interface ConnectedAgent { hello: HelloResult; batches: ReceivedFlows[] }

/** hello + flow subscription, as the extension does on every (re)connect. */
export async function helloAndSubscribe(handle: AgentHandle): Promise<ConnectedAgent> {
  const batches: ReceivedFlows[] = [];
  handle.connection.onNotification(FlowsPackedNotification, (b) => { batches.push(receivedFlows(b)); });
  const hello = await handle.connection.sendRequest(Hello, { clientVersion: 'transport-test', protocolVersion: AGENT_PROTOCOL_VERSION });
  await handle.connection.sendRequest(FlowsSubscribe, {});
  return { hello, batches };
}

/** The deploy sequence the extension and the CLI use (src/client/agent-client.ts), over this transport. */
export async function deploy(handle: AgentHandle, b: PolicyBundle = dbBundle): Promise<LabState> {
  const outcome = await new AgentClient(handle.connection).deploy(b);
  const load = outcome.datapath;
  if (!outcome.ok || !outcome.lab) throw new Error(`datapath rejected at ${load?.stage}: ${load?.verifierLog.slice(-2000)} ${JSON.stringify(load?.diagnostics)}`);
  return outcome.lab;
}

/**
 * A TCP connect from inside an endpoint's namespace, run by this test (no
 * agent connection involved), with the agent's own probe helper. With nothing
 * listening, `refused` means the SYN got through and `timeout` that it was dropped.
 */
export async function directConnect(netns: string, ip: string, port: number, agentJs = AGENT_JS, nsenterPrefix: string[] = []): Promise<string> {
  const { stdout } = await execFileAsync(nsenterPrefix[0] ?? 'nsenter', [...nsenterPrefix.slice(1), `--net=${netnsPath(netns)}`, '--', process.execPath, agentJs, 'probe-connect', 'tcp', ip, String(port), '1500']);
  return (JSON.parse(stdout.trim().split('\n').pop()!) as { outcome: string }).outcome;
}

/** PIDs of agent processes serving `lab` on this machine (started over ssh, so not our children). */
export function agentPidsForLab(lab: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const i = argv.indexOf('--lab');
      if (i > 0 && argv[i + 1] === lab && argv.some((a) => a.endsWith('/agent.js'))) pids.push(Number(entry));
    } catch { /* exited */ }
  }
  return pids;
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
