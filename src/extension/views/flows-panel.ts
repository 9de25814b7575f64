/**
 * The flows webview: a live, filterable table of the flow ring. The ring lives
 * in the extension host (FlowStore); the panel gets it whole on `ready` and
 * then what arrived since, as columns, at most one message per frame-ish
 * interval (FlowFeed), with the lab's identities for row details and label
 * filters. Clicking a row reveals the rule that decided
 * it, or the `select` line of the policy whose default deny dropped it; the
 * shown rows export as Hubble JSON lines.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { IdentityInfo } from '../../protocol/agent-rpc';
import type { FlowEvent } from '../../protocol/flow-event';
import { ReservedIdentity, reservedIdentityLabels } from '../../protocol/identities';
import type { FlowsFromWebview, FlowsToWebview } from '../../protocol/webview-messages';
import { FlowFeed } from './flows-feed';
import { FLOWS_BODY } from './flows-markup';
import { identityMap, toHubbleJsonLines } from './hubble-json';
import { revealSource } from './reveal';
import { webviewHtml, webviewOptions } from './webview-html';

/** The lab's identities (one per label set) plus the reserved ones, from the session's lab state. */
export function labIdentities(ctx: Ctx): IdentityInfo[] {
  const byId = new Map<number, IdentityInfo>([ReservedIdentity.Host, ReservedIdentity.World].map((id) => [id, { id, labels: reservedIdentityLabels(id)! }]));
  for (const e of ctx.session?.lab?.endpoints ?? []) byId.set(e.identity, { id: e.identity, labels: e.labels });
  return [...byId.values()];
}

export class FlowsPanel implements vscode.Disposable {
  static readonly viewType = 'policyStudio.flows';
  private static current?: FlowsPanel;
  private readonly feed: FlowFeed;
  private identitiesSent = '';
  private readonly disposables: vscode.Disposable[] = [];

  /** Opens (or reveals) the panel; `filter` replaces its filter, as the Lab view and the service map ask. */
  static show(ctx: Ctx, filter?: string): FlowsPanel {
    if (FlowsPanel.current) {
      FlowsPanel.current.panel.reveal(vscode.ViewColumn.Beside);
      if (filter !== undefined) FlowsPanel.current.setFilter(filter);
      return FlowsPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(FlowsPanel.viewType, 'Policy Studio: Flows', vscode.ViewColumn.Beside, webviewOptions(ctx.extension.extensionUri));
    FlowsPanel.current = new FlowsPanel(ctx, panel);
    FlowsPanel.current.pendingFilter = filter;
    return FlowsPanel.current;
  }

  /** A filter asked for before the webview said `ready`. */
  private pendingFilter?: string;
  private ready = false;

  setFilter(filter: string): void {
    if (this.ready) this.post({ type: 'flows/filter', filter });
    else this.pendingFilter = filter;
  }

  static revive(ctx: Ctx, panel: vscode.WebviewPanel): void {
    panel.webview.options = webviewOptions(ctx.extension.extensionUri);
    FlowsPanel.current?.dispose();
    FlowsPanel.current = new FlowsPanel(ctx, panel);
  }

  private constructor(private readonly ctx: Ctx, readonly panel: vscode.WebviewPanel) {
    panel.webview.html = webviewHtml(panel.webview, ctx.extension.extensionUri, 'flows', 'Flows', FLOWS_BODY);
    this.feed = new FlowFeed(ctx.flows.ring, (message) => {
      // Identities change with the lab (a deploy), which is when new flows come.
      if (message.type === 'flows/append') this.sendIdentities(false);
      this.post(message);
    });
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: FlowsFromWebview) => this.receive(m)),
      // Until the view says `ready` it gets nothing: `ready` sends the whole ring.
      ctx.flows.onDidAppend(() => { if (this.ready) this.feed.appended(); }),
      ctx.flows.onDidClear(() => { if (this.ready) this.feed.reset(); }),
      ctx.flows.onDidResize(() => { if (this.ready) this.feed.resized(); }),
    );
  }

  private receive(message: FlowsFromWebview): void {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.sendIdentities(true);
        this.feed.reset();
        if (this.pendingFilter !== undefined) this.post({ type: 'flows/filter', filter: this.pendingFilter });
        this.pendingFilter = undefined;
        break;
      case 'reveal':
        if (message.flow.source) void revealSource(message.flow.source, vscode.ViewColumn.One);
        else void vscode.window.showInformationMessage('This flow was not decided by a policy rule (no policy selects that endpoint in that direction).');
        break;
      case 'clear':
        this.ctx.flows.clear();
        break;
      case 'export':
        void this.export(message.flows);
        break;
    }
  }

  private async export(flows: FlowEvent[]): Promise<void> {
    if (!flows.length) {
      void vscode.window.showInformationMessage('No flows to export: the filter shows none.');
      return;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      title: `Export ${flows.length} flows as Hubble JSON lines`,
      defaultUri: folder ? vscode.Uri.joinPath(folder, 'flows.jsonl') : undefined,
      filters: { 'Hubble JSON lines': ['jsonl', 'json'] },
    });
    if (!target) return;
    const text = toHubbleJsonLines(flows, identityMap(labIdentities(this.ctx)), this.ctx.session?.hello.hostname ?? 'policy-studio');
    await vscode.workspace.fs.writeFile(target, Buffer.from(text, 'utf8'));
    this.ctx.log.info(`exported ${flows.length} flows to ${target.fsPath}`);
    void vscode.window.showInformationMessage(`Exported ${flows.length} flows to ${vscode.workspace.asRelativePath(target)}.`);
  }

  /** Identities change when the lab does (a deploy): re-send them when they differ from what the webview has. */
  private sendIdentities(force: boolean): void {
    const identities = labIdentities(this.ctx);
    const key = JSON.stringify(identities);
    if (!force && key === this.identitiesSent) return;
    this.identitiesSent = key;
    this.post({ type: 'flows/identities', identities });
  }

  private post(message: FlowsToWebview): void {
    void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    if (FlowsPanel.current === this) FlowsPanel.current = undefined;
    this.feed.cancel();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
