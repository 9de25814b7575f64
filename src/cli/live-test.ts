/**
 * `policy-studio test --live`: the expects as real probes. Starts the local
 * agent, builds a lab of the bundle's workloads, loads the datapath, applies
 * the policy, probes once per expect, and always tears the lab down again
 * (also on failure and on Ctrl-C).
 */
import { AgentClient } from '../client/agent-client.js';
import { startLocalAgent, type AgentHandle } from '../client/agent-process.js';
import { Shutdown, type ProbeResult } from '../protocol/agent-rpc.js';
import { decisionText, flowDecision } from '../protocol/decision-text.js';
import type { PolicyBundle } from '../protocol/policy-ir.js';
import { expectLine, summaryLine, type SourcePaths } from './report.js';

export class LiveSetupError extends Error {}
/** Ctrl-C: the lab is being torn down and the process exits 130; nothing else to report. */
export class InterruptedError extends Error {}

export interface LiveOptions { labName: string; verbose: boolean; print: (line: string) => void; printError: (line: string) => void }

export async function runLiveTests(bundle: PolicyBundle, paths: SourcePaths, options: LiveOptions): Promise<{ passed: number; failed: number }> {
  const agent: AgentHandle = await startLocalAgent({
    labName: options.labName,
    log: (m) => { if (options.verbose || m.level === 'error') options.printError(`agent ${m.level}: ${m.message}`); },
  });
  const client = new AgentClient(agent.connection, {
    log: (m) => { if (options.verbose || m.level === 'error') options.printError(`client ${m.level}: ${m.message}`); },
  });
  let labCreated = false;
  const teardown = async (): Promise<void> => {
    try {
      if (labCreated) await client.teardown();
      await agent.connection.sendRequest(Shutdown).catch(() => undefined);
    } finally {
      await agent.dispose();
    }
  };
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
    options.printError('interrupted: tearing the lab down');
    void teardown().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const hello = await client.hello('policy-studio-cli');
    if (!hello.capabilities.root) throw new LiveSetupError('--live needs root (BPF and network namespaces): run it with sudo');
    if (hello.capabilities.missing.length) throw new LiveSetupError(`the agent is missing: ${hello.capabilities.missing.join(', ')}`);
    labCreated = true;
    const deployed = await client.deploy(bundle);
    if (!deployed.ok) throw new LiveSetupError(`datapath ${deployed.datapath?.stage ?? 'build'} failed:\n${deployed.datapath?.verifierLog ?? deployed.error}`);

    let passed = 0;
    let failed = 0;
    for (const expect of bundle.expects) {
      const params = expect.protocol === 'icmp'
        ? { from: expect.from, to: expect.to, protocol: 'icmp' as const }
        : { from: expect.from, to: expect.to, protocol: expect.protocol as 'tcp' | 'udp', port: expect.port };
      const result = await client.probe(params);
      const ok = result.verdict === expect.verdict;
      if (ok) passed++; else failed++;
      options.print(expectLine(ok, expect, paths, describeProbe(result, ok, paths)));
    }
    options.print(summaryLine(passed, failed));
    return { passed, failed };
  } catch (err) {
    // Requests in flight fail when the signal handler closes the connection.
    if (interrupted) throw new InterruptedError('interrupted');
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!interrupted) await teardown();
  }
}

function describeProbe(result: ProbeResult, ok: boolean, paths: SourcePaths): string {
  const parts: string[] = [];
  if (!ok) parts.push(`got ${result.verdict} (${result.outcome})`);
  const flow = result.flow;
  if (flow && (flow.verdict === 'dropped' || !ok)) parts.push(decisionText(flowDecision(flow), (source) => paths.line(source)));
  else if (!ok) parts.push('no flow event');
  return parts.join('; ');
}
