/**
 * Probe: a real connection attempt between two workloads of the lab, and the
 * verdict with the rule that decided it.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { ProbeParams, ProbeResult } from '../../protocol/agent-rpc';
import { decisionText, flowDecision } from '../../protocol/decision-text';
import { revealSource } from '../views/reveal';
import { messageOf } from './message-of';
import { requireSession, requireTrust } from './require-trust';

const portSpec = /^\s*(?:(\d{1,5})\s*\/\s*(tcp|udp)|(icmp))\s*$/i;

/** Parses `8080/tcp`, `53/udp` or `icmp`. */
export function parsePortSpec(text: string): Pick<ProbeParams, 'port' | 'protocol'> | undefined {
  const m = portSpec.exec(text);
  if (!m) return undefined;
  if (m[3]) return { protocol: 'icmp' };
  const port = Number(m[1]);
  if (port < 1 || port > 65535) return undefined;
  return { port, protocol: m[2].toLowerCase() as 'tcp' | 'udp' };
}

function isProbeParams(value: unknown): value is ProbeParams {
  const v = value as Partial<ProbeParams> | undefined;
  return !!v && typeof v.from === 'string' && typeof v.to === 'string' && typeof v.protocol === 'string';
}

export async function probe(ctx: Ctx, given?: unknown): Promise<ProbeResult | undefined> {
  if (!requireTrust('Probe')) return undefined;
  try {
    const session = await requireSession(ctx, 'A probe');
    if (!session) return undefined;
    // The Lab view's "Probe from here" passes only the source.
    const presetFrom = typeof (given as { from?: unknown } | undefined)?.from === 'string' ? (given as { from: string }).from : undefined;
    const params = isProbeParams(given) ? given : await askProbe(ctx, session.lab?.endpoints.map((e) => e.workload) ?? [], presetFrom);
    if (!params) return undefined;
    const result = await session.probe(params);
    void announce(result, params);
    return result;
  } catch (error) {
    void vscode.window.showErrorMessage(`Policy Studio: probe failed: ${messageOf(error)}`);
    return undefined;
  }
}

async function askProbe(ctx: Ctx, workloads: string[], presetFrom?: string): Promise<ProbeParams | undefined> {
  const names = [...new Set(workloads)].sort();
  if (!names.length) {
    const choice = await vscode.window.showWarningMessage('Policy Studio: no lab is deployed yet. Deploy the workspace first?', 'Deploy');
    if (choice) await vscode.commands.executeCommand('policyStudio.deploy');
    return undefined;
  }
  const from = presetFrom?.replace(/^default\//, '') ?? await vscode.window.showQuickPick(names, { title: 'Probe (1/3): source workload', placeHolder: 'Connect from…' });
  if (!from) return undefined;
  const to = await vscode.window.showQuickPick(names, { title: 'Probe (2/3): destination workload', placeHolder: 'Connect to…' });
  if (!to) return undefined;
  const spec = await vscode.window.showInputBox({
    title: 'Probe (3/3): port and protocol',
    placeHolder: '8080/tcp, 53/udp or icmp',
    validateInput: (text) => (parsePortSpec(text) ? undefined : 'Write PORT/tcp, PORT/udp or icmp'),
  });
  const parsed = spec === undefined ? undefined : parsePortSpec(spec);
  if (!parsed) return undefined;
  ctx.log.info(`probe ${from} -> ${to} ${spec}`);
  return { from, to, ...parsed };
}

async function announce(result: ProbeResult, params: ProbeParams): Promise<void> {
  const what = params.protocol === 'icmp' ? 'icmp' : `${params.port}/${params.protocol}`;
  const flow = result.flow;
  const why = flow ? ` — ${decisionText(flowDecision(flow))}` : '';
  const text = `Probe ${params.from} → ${params.to} ${what}: ${result.verdict} (${result.outcome}, ${Math.round(result.durationMs)} ms)${why}`;
  const actions = flow?.source ? ['Go to Rule', 'Show Flows'] : ['Show Flows'];
  const show = result.verdict === 'denied' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  const choice = await show(text, ...actions);
  if (choice === 'Go to Rule' && flow?.source) await revealSource(flow.source);
  if (choice === 'Show Flows') await vscode.commands.executeCommand('policyStudio.showFlows');
}
