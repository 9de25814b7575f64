/**
 * The Explain Drop panel: the explanation in plain words, with links to the
 * deciding line and a button that adds the allow rule. Rendered in the host
 * (no framework); the only script posts the two button clicks back.
 */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { DropExplanation } from '../editor/drop-explanation';

type FromView = { type: 'reveal' } | { type: 'fix' };

export class ExplainDropPanel {
  static readonly viewType = 'policyStudio.explainDrop';
  private static current?: ExplainDropPanel;
  private explanation!: DropExplanation;

  private constructor(private readonly panel: vscode.WebviewPanel, private readonly actions: {
    reveal(e: DropExplanation): Promise<void>; fix(e: DropExplanation): Promise<void>;
  }) {
    panel.onDidDispose(() => { if (ExplainDropPanel.current === this) ExplainDropPanel.current = undefined; });
    panel.webview.onDidReceiveMessage((m: FromView) => {
      if (m.type === 'reveal') void this.actions.reveal(this.explanation);
      if (m.type === 'fix') void this.actions.fix(this.explanation);
    });
  }

  static show(explanation: DropExplanation, actions: ExplainDropPanel['actions']): void {
    if (!ExplainDropPanel.current) {
      const panel = vscode.window.createWebviewPanel(ExplainDropPanel.viewType, 'Explain Drop', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, localResourceRoots: [] });
      ExplainDropPanel.current = new ExplainDropPanel(panel, actions);
    }
    const view = ExplainDropPanel.current;
    view.explanation = explanation;
    view.panel.title = `Explain: ${explanation.ends.map((e) => e.workload ?? e.ip).join(' → ')}`;
    view.panel.webview.html = render(explanation);
    view.panel.reveal(undefined, true);
  }
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** Inline `code` from the explanation's sentences, after escaping. */
const prose = (s: string): string => esc(s).replace(/`([^`]+)`/g, '<code>$1</code>');

function render(e: DropExplanation): string {
  const nonce = randomBytes(16).toString('base64');
  const labels = (l: Record<string, string>): string => Object.entries(l).map(([k, v]) => `<span class="label">${esc(k)}=${esc(v)}</span>`).join(' ') || '<em>none</em>';
  const ends = e.ends.map((x) => `<tr><th>${x.role}</th><td>${esc(x.workload ?? '—')}</td><td>${esc(x.ip)}${x.port ? `:${x.port}` : ''}</td><td>${x.identity}</td><td>${labels(x.labels)}</td></tr>`).join('');
  const steps = e.steps.length ? `<ol>${e.steps.map((s) => `<li>${prose(s)}</li>`).join('')}</ol>` : `<p>${esc(e.staticError ?? 'The static evaluator has nothing to add.')}</p>`;
  const disagree = e.staticVerdict && e.flow.verdict === 'dropped' && e.staticVerdict === 'allowed'
    ? '<p class="warn">The workspace as it is now would allow this packet: it changed since the deploy. Deploy again to enforce it.</p>' : '';
  const deciding = e.decidingSource
    ? `<p><strong>Deciding line:</strong> <code>${esc(e.decidingText ?? '')}</code> <button id="reveal" class="link">${esc(vscode.workspace.asRelativePath(vscode.Uri.parse(e.decidingSource.uri)))}:${e.decidingSource.range.start.line + 1}</button></p>`
    : '';
  const fix = e.fix
    ? `<h2>Quick fix</h2><p>${prose(e.fix.title)}</p><button id="fix">Add the allow rule</button>`
    : e.flow.verdict === 'dropped' ? '<h2>Quick fix</h2><p>No allow rule can fix this drop: a deny rule decided it (deny wins), or an end is not a lab workload.</p>' : '';
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<style nonce="${nonce}">
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); background: var(--vscode-editor-background); padding: 0 16px 16px; line-height: 1.5; }
h1 { font-size: 1.3em; } h2 { font-size: 1.1em; margin-top: 1.4em; }
code { font-family: var(--vscode-editor-font-family); background: var(--vscode-textCodeBlock-background); padding: 0 3px; }
table { border-collapse: collapse; } th, td { text-align: left; padding: 3px 10px 3px 0; border-bottom: 1px solid var(--vscode-panel-border); vertical-align: top; }
.label { display: inline-block; font-family: var(--vscode-editor-font-family); background: var(--vscode-badge-background); color: var(--vscode-badge-foreground); border-radius: 3px; padding: 0 4px; margin: 1px 0; }
.summary { font-size: 1.05em; } .warn { color: var(--vscode-editorWarning-foreground); }
.verdict-dropped { color: var(--vscode-errorForeground); } .verdict-forwarded { color: var(--vscode-testing-iconPassed); }
button { background: var(--vscode-button-background); color: var(--vscode-button-foreground); border: none; padding: 4px 12px; cursor: pointer; }
button:hover { background: var(--vscode-button-hoverBackground); }
button.link { background: none; color: var(--vscode-textLink-foreground); padding: 0; text-decoration: underline; }
</style></head><body>
<h1 class="verdict-${esc(e.flow.verdict)}">${esc(e.title)}</h1>
<p class="summary" id="summary">${prose(e.summary)}</p>
${deciding}${disagree}
<h2>Both ends</h2><table><tr><th></th><th>workload</th><th>address</th><th>identity</th><th>labels</th></tr>${ends}</table>
<h2>Evaluation steps (static evaluator)</h2>${steps}
${fix}
<script nonce="${nonce}">
const vscode = acquireVsCodeApi();
for (const id of ['reveal', 'fix']) document.getElementById(id)?.addEventListener('click', () => vscode.postMessage({ type: id }));
</script></body></html>`;
}
