/**
 * The flows webview: a live table of the flow ring. The ring lives in the
 * extension host (FlowStore); the panel gets it whole on `ready` and then
 * appended batches at most every 150 ms. Clicking a row reveals the rule that
 * decided it, or the `select` line of the policy whose default deny dropped it.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { FlowEvent } from '../../protocol/flow-event';
import type { FlowsFromWebview, FlowsToWebview } from '../../protocol/webview-messages';
import { revealSource } from './reveal';

const BATCH_MS = 150;

export class FlowsPanel implements vscode.Disposable {
  static readonly viewType = 'policyStudio.flows';
  private static current?: FlowsPanel;
  private pending: FlowEvent[] = [];
  private timer?: NodeJS.Timeout;
  private readonly disposables: vscode.Disposable[] = [];

  static show(ctx: Ctx): FlowsPanel {
    if (FlowsPanel.current) {
      FlowsPanel.current.panel.reveal(vscode.ViewColumn.Beside);
      return FlowsPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(FlowsPanel.viewType, 'Policy Studio: Flows', vscode.ViewColumn.Beside, FlowsPanel.options(ctx));
    return (FlowsPanel.current = new FlowsPanel(ctx, panel));
  }

  static revive(ctx: Ctx, panel: vscode.WebviewPanel): void {
    panel.webview.options = FlowsPanel.options(ctx);
    FlowsPanel.current?.dispose();
    FlowsPanel.current = new FlowsPanel(ctx, panel);
  }

  private static options(ctx: Ctx): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'media'), vscode.Uri.joinPath(ctx.extension.extensionUri, 'media')] };
  }

  private constructor(private readonly ctx: Ctx, readonly panel: vscode.WebviewPanel) {
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: FlowsFromWebview) => this.receive(m)),
      ctx.flows.onDidAppend((flows) => this.queue(flows)),
      ctx.flows.onDidClear(() => this.post({ type: 'flows/reset', flows: [] })),
    );
  }

  private receive(message: FlowsFromWebview): void {
    switch (message.type) {
      case 'ready':
        this.pending = [];
        this.post({ type: 'flows/reset', flows: this.ctx.flows.all() });
        break;
      case 'reveal':
        if (message.flow.source) void revealSource(message.flow.source, vscode.ViewColumn.One);
        else void vscode.window.showInformationMessage('This flow was not decided by a policy rule (no policy selects that endpoint in that direction).');
        break;
      case 'clear':
        this.ctx.flows.clear();
        break;
    }
  }

  private queue(flows: FlowEvent[]): void {
    this.pending.push(...flows);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const batch = this.pending;
      this.pending = [];
      if (batch.length) this.post({ type: 'flows/append', flows: batch });
    }, BATCH_MS);
  }

  private post(message: FlowsToWebview): void {
    void this.panel.webview.postMessage(message);
  }

  private html(): string {
    const webview = this.panel.webview;
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.ctx.extension.extensionUri, 'dist', 'media', 'flows.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.ctx.extension.extensionUri, 'media', 'flows.css'));
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${webview.cspSource}; style-src ${webview.cspSource}; font-src ${webview.cspSource}; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>Flows</title>
</head>
<body>
<div id="toolbar">
  <vscode-textfield id="filter" placeholder="Filter: workload, port, verdict, reason, rule…"></vscode-textfield>
  <vscode-checkbox id="only-drops">Only drops</vscode-checkbox>
  <vscode-button id="pause" secondary>Pause</vscode-button>
  <vscode-button id="clear" secondary>Clear</vscode-button>
  <span id="count"></span>
</div>
<table id="flows">
  <thead><tr><th>Time</th><th>Source</th><th>Destination</th><th>Port</th><th>Verdict</th><th>Reason</th><th>Rule</th></tr></thead>
  <tbody></tbody>
</table>
<div id="empty">No flows yet. Deploy the policy and run a probe.</div>
<script type="module" nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }

  dispose(): void {
    if (FlowsPanel.current === this) FlowsPanel.current = undefined;
    clearTimeout(this.timer);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
