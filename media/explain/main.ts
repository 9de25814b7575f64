/**
 * Explain Drop webview front end: the explanation in plain words, the
 * deciding line as a link, both ends with their identities and labels, the
 * static evaluator's steps and the quick fix. All text is rendered by lit
 * (escaped); inline `code` in the explanation's sentences becomes <code>.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { html, nothing, render } from 'lit';
import type { DropExplanation } from '../../src/protocol/drop-explanation';
import type { ExplainFromWebview, ExplainToWebview } from '../../src/protocol/webview-messages';
import { hostChannel } from '../shared/vscode-api';

const host = hostChannel<ExplainFromWebview, ExplainToWebview, Record<string, never>>();
const app = document.getElementById('app') as HTMLElement;

/** A sentence with `code` spans. */
function prose(text: string) {
  return text.split(/`([^`]+)`/).map((part, i) => (i % 2 ? html`<code>${part}</code>` : part));
}

function labels(l: Record<string, string>) {
  const entries = Object.entries(l);
  return entries.length ? entries.map(([k, v]) => html`<span class="label">${k}=${v}</span> `) : html`<em>none</em>`;
}

function draw(e: DropExplanation, decidingLabel: string | undefined): void {
  const deciding = e.decidingSource
    ? html`<p id="deciding"><strong>Deciding line:</strong> <code>${e.decidingText ?? ''}</code>
        <a href="#" id="reveal" @click=${(ev: Event) => { ev.preventDefault(); host.post({ type: 'reveal' }); }}>${decidingLabel ?? 'open'}</a></p>`
    : nothing;
  const disagree = e.staticVerdict && e.flow.verdict === 'dropped' && e.staticVerdict === 'allowed'
    ? html`<p class="warn">The workspace as it is now would allow this packet: it changed since the deploy. Deploy again to enforce it.</p>` : nothing;
  const steps = e.steps.length ? html`<ol id="steps">${e.steps.map((s) => html`<li>${prose(s)}</li>`)}</ol>` : html`<p>${e.staticError ?? 'The static evaluator has nothing to add.'}</p>`;
  const fix = e.fix
    ? html`<h2>Quick fix</h2><p>${prose(e.fix.title)}</p><vscode-button id="fix" @click=${() => host.post({ type: 'fix' })}>Add the allow rule</vscode-button>`
    : e.flow.verdict === 'dropped' ? html`<h2>Quick fix</h2><p>No allow rule can fix this drop: a deny rule decided it (deny wins), or an end is not a lab workload.</p>` : nothing;
  render(html`
    <h1 class=${`verdict-${e.flow.verdict}`}>${e.title}</h1>
    <p class="summary" id="summary">${prose(e.summary)}</p>
    ${deciding}${disagree}
    <h2>Both ends</h2>
    <table><tr><th></th><th>workload</th><th>address</th><th>identity</th><th>labels</th></tr>
      ${e.ends.map((x) => html`<tr><th>${x.role}</th><td>${x.workload ?? '—'}</td><td>${x.ip}${x.port ? `:${x.port}` : ''}</td><td>${x.identity}</td><td>${labels(x.labels)}</td></tr>`)}
    </table>
    <h2>Evaluation steps (static evaluator)</h2>${steps}
    ${fix}`, app);
}

host.onMessage((m) => {
  if (m.type === 'explain/show') draw(m.explanation, m.decidingLabel);
});
host.post({ type: 'ready' });
