/**
 * Verifier-log webview front end: the last datapath build's outcome, the
 * errors (each linked to its C line), a table of per-program verifier
 * statistics, and the log per program with the failing instruction
 * highlighted and `; source @ file.c:NN` annotations as links.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import { html, nothing, render } from 'lit';
import type { DatapathBuildResult } from '../../src/protocol/agent-rpc';
import type { SourceFileLink, VerifierFromWebview, VerifierToWebview } from '../../src/protocol/webview-messages';
import { hostChannel } from '../shared/vscode-api';
import { structureLog, type LogLine } from './log-structure';

const host = hostChannel<VerifierFromWebview, VerifierToWebview, Record<string, never>>();
const app = document.getElementById('app') as HTMLElement;
let build: DatapathBuildResult | undefined;
let time: number | undefined;
let links = new Map<string, string>();
let building = false;

function sourceLink(file: string, line: number, label?: string) {
  const known = links.has(file);
  return known
    ? html`<a href="#" class="source-link" data-file=${file} data-line=${line} @click=${(e: Event) => { e.preventDefault(); host.post({ type: 'openSource', file, line }); }}>${label ?? `${file.split('/').pop()}:${line}`}</a>`
    : html`<span title="not found on this machine">${label ?? `${file}:${line}`}</span>`;
}

function logLine(l: LogLine) {
  if (l.kind === 'source') {
    const at = l.text.lastIndexOf(' @ ');
    return html`<div class="log-line source">${l.text.slice(0, at)} @ ${sourceLink(l.file!, l.line!, l.text.slice(at + 3))}</div>`;
  }
  return html`<div class=${`log-line ${l.kind}`}>${l.text || ' '}</div>`;
}

function draw(): void {
  const rebuild = html`<vscode-button id="build" ?disabled=${building} @click=${() => { building = true; draw(); host.post({ type: 'build' }); }}>${building ? 'Building…' : 'Build Datapath'}</vscode-button>`;
  if (!build) {
    render(html`<div class="toolbar">${rebuild}</div><p class="muted">No datapath build yet. Deploy, or run Build Datapath after editing bpf/.</p>`, app);
    return;
  }
  const failed = !build.ok;
  const sections = structureLog(build.verifierLog, failed);
  const errors = build.diagnostics.filter((d) => d.severity !== 'note' || failed);
  render(html`
    <div class="toolbar">${rebuild}
      <span class=${`outcome ${failed ? 'failed' : 'ok'}`}>${failed ? `Rejected at ${build.stage ?? 'build'}` : 'Loaded'}</span>
      <span class="muted">${build.compileMs !== undefined ? `compile ${build.compileMs} ms` : ''}${build.loadMs !== undefined ? ` · load ${build.loadMs} ms` : ''}${time ? ` · ${new Date(time).toLocaleTimeString(undefined, { hour12: false })}` : ''}</span>
    </div>
    ${errors.length ? html`<h3>${failed ? 'Errors' : 'Compiler warnings'}</h3><ul id="diagnostics">${errors.map((d) => html`
      <li class=${`diagnostic ${d.severity}`}>${sourceLink(d.file, d.line)} <span class="severity">${d.severity}</span> ${d.message}</li>`)}</ul>` : nothing}
    ${build.programs.length ? html`<h3>Programs</h3>
      <table id="programs"><thead><tr><th>Program</th><th>Insns processed</th><th>Verified insns</th><th>States</th><th>Stack depth</th><th>Verification time</th></tr></thead>
      <tbody>${build.programs.map((p) => html`<tr class="program" data-program=${p.program}><td>${p.program}</td><td>${p.insnsProcessed?.toLocaleString() ?? '–'}</td>
        <td>${p.verifiedInsns?.toLocaleString() ?? '–'}</td><td>${p.states?.toLocaleString() ?? '–'}</td><td>${p.stackDepth ?? '–'}</td>
        <td>${p.verificationTimeUs !== undefined ? `${p.verificationTimeUs.toLocaleString()} µs` : '–'}</td></tr>`)}</tbody></table>` : nothing}
    <h3>${failed && build.stage === 'compile' ? 'Compiler output' : 'Verifier log'}</h3>
    ${sections.map((s) => html`<vscode-collapsible class="log-section" heading=${s.program || (failed ? 'log' : 'output')} ?open=${failed || sections.length === 1}>
      <div class="log">${s.lines.map(logLine)}</div></vscode-collapsible>`)}
  `, app);
  app.querySelector('.failing-insn')?.scrollIntoView({ block: 'center' });
}

host.onMessage((message) => {
  if (message.type !== 'verifier/build') return;
  build = message.build;
  time = message.time;
  links = new Map(message.links.map((l: SourceFileLink) => [l.file, l.uri]));
  building = false;
  draw();
});

draw();
host.post({ type: 'ready' });
