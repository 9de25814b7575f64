/**
 * `policyStudio.explainDrop [flow]`: why a flow was dropped, in plain words.
 * Without a flow it offers the latest drops of the ring. Returns the
 * explanation so other commands and tests can use it.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { FlowEvent } from '../../protocol/flow-event';
import type { TraceResponse } from '../../protocol/language-rpc';
import { decisionText, flowDecision } from '../../protocol/decision-text';
import { revealSource } from '../views/reveal';
import { messageOf } from './message-of';
import { explainDrop } from '../editor/drop-explanation';
import type { DropExplanation } from '../../protocol/drop-explanation';
import { describeFlow, workloadOf } from '../editor/rule-stats';
import { ExplainDropPanel } from '../views/explain-drop-panel';
import type { PolicyBundleCache } from '../editor/policy-bundle-cache';

function isFlow(value: unknown): value is FlowEvent {
  const f = value as Partial<FlowEvent> | undefined;
  return !!f && typeof f.verdict === 'string' && !!f.src && !!f.dst && typeof f.protocol === 'string';
}

export async function explainDropCommand(ctx: Ctx, bundle: PolicyBundleCache, given?: unknown, options: { show?: boolean } = {}): Promise<DropExplanation | undefined> {
  const flow = isFlow(given) ? given : await pickDrop(ctx);
  if (!flow) return undefined;
  const from = workloadOf(flow.src);
  const to = workloadOf(flow.dst);
  let trace: TraceResponse | undefined;
  if (from && to && (flow.protocol === 'tcp' || flow.protocol === 'udp' || flow.protocol === 'icmp')) {
    trace = await bundle.trace({ from, to, protocol: flow.protocol, port: flow.protocol === 'icmp' ? undefined : flow.dst.port, proposeFix: true })
      .catch((error: unknown) => ({ error: messageOf(error) }));
  } else trace = { error: 'An end of this flow is not a lab workload (host, world or an unknown address): the static evaluator only traces workloads.' };
  const explanation = explainDrop(flow, ctx.session?.lab?.endpoints ?? [], trace);
  ctx.log.info(`explain: ${explanation.summary}`);
  if (options.show !== false) {
    ExplainDropPanel.show(ctx.extension.extensionUri, explanation, {
      reveal: async (e) => { if (e.decidingSource) await revealSource(e.decidingSource); },
      fix: async (e) => { await applyAllowRule(e); },
    });
  }
  return explanation;
}

/** Inserts the proposed allow rule and shows it; the user deploys when ready. */
export async function applyAllowRule(e: DropExplanation): Promise<boolean> {
  if (!e.fix) return false;
  const uri = vscode.Uri.parse(e.fix.uri);
  const edit = new vscode.WorkspaceEdit();
  edit.insert(uri, new vscode.Position(e.fix.position.line, e.fix.position.character), e.fix.newText);
  if (!(await vscode.workspace.applyEdit(edit))) return false;
  const doc = await vscode.workspace.openTextDocument(uri);
  const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
  const line = e.fix.position.line + e.fix.newText.split('\n').length - 1;
  editor.selection = new vscode.Selection(line, doc.lineAt(line).firstNonWhitespaceCharacterIndex, line, doc.lineAt(line).text.length);
  editor.revealRange(editor.selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  const choice = await vscode.window.showInformationMessage('Policy Studio: allow rule added. Deploy it to the lab?', 'Deploy');
  if (choice) await vscode.commands.executeCommand('policyStudio.deploy');
  return true;
}

async function pickDrop(ctx: Ctx): Promise<FlowEvent | undefined> {
  const drops = ctx.flows.recentDrops(50);
  if (!drops.length) {
    void vscode.window.showInformationMessage('Policy Studio: no dropped flow yet. Probe a connection the policy denies, then explain it.', 'Probe')
      .then((c) => c && vscode.commands.executeCommand('policyStudio.probe'));
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(drops.map((flow) => ({
    label: describeFlow(flow), description: new Date(flow.time).toLocaleTimeString(), detail: decisionText(flowDecision(flow)), flow,
  })), { title: 'Explain Drop', placeHolder: 'Which drop?' });
  return picked?.flow;
}
