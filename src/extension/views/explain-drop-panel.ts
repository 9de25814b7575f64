/**
 * The Explain Drop panel: the explanation in plain words, with a link to the
 * deciding line and a button that adds the allow rule. The host keeps the
 * explanation and sends it on `ready` (media/explain/ renders it), so a
 * reloaded view shows it again; the view posts the two actions back.
 */
import * as vscode from 'vscode';
import type { DropExplanation } from '../../protocol/drop-explanation';
import type { ExplainFromWebview, ExplainToWebview } from '../../protocol/webview-messages';
import { webviewHtml, webviewOptions } from './webview-html';

export interface ExplainActions {
  reveal(e: DropExplanation): Promise<void>;
  fix(e: DropExplanation): Promise<void>;
}

export class ExplainDropPanel {
  static readonly viewType = 'policyStudio.explainDrop';
  private static current?: ExplainDropPanel;
  private explanation!: DropExplanation;

  private constructor(private readonly panel: vscode.WebviewPanel, extensionUri: vscode.Uri, private readonly actions: ExplainActions) {
    panel.onDidDispose(() => { if (ExplainDropPanel.current === this) ExplainDropPanel.current = undefined; });
    panel.webview.onDidReceiveMessage((m: ExplainFromWebview) => {
      if (m.type === 'ready') this.post();
      if (m.type === 'reveal') void this.actions.reveal(this.explanation);
      if (m.type === 'fix') void this.actions.fix(this.explanation);
    });
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'explain', 'Explain Drop', '<div id="app"></div>');
  }

  static show(extensionUri: vscode.Uri, explanation: DropExplanation, actions: ExplainActions): void {
    const existing = ExplainDropPanel.current;
    const view = existing ?? new ExplainDropPanel(
      vscode.window.createWebviewPanel(ExplainDropPanel.viewType, 'Explain Drop', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, webviewOptions(extensionUri)),
      extensionUri, actions);
    ExplainDropPanel.current = view;
    view.explanation = explanation;
    view.panel.title = `Explain: ${explanation.ends.map((e) => e.workload ?? e.ip).join(' → ')}`;
    // A new panel gets it when its script says `ready`; an open one now.
    if (existing) view.post();
    view.panel.reveal(undefined, true);
  }

  private post(): void {
    const e = this.explanation;
    const decidingLabel = e.decidingSource
      ? `${vscode.workspace.asRelativePath(vscode.Uri.parse(e.decidingSource.uri))}:${e.decidingSource.range.start.line + 1}` : undefined;
    const message: ExplainToWebview = { type: 'explain/show', explanation: e, decidingLabel };
    void this.panel.webview.postMessage(message);
  }
}
