/**
 * Flows webview front end: a virtualized live table of the flow ring (the ring
 * itself stays in the extension host and is re-sent on `ready`), a filter in
 * `hubble observe` terms, pause/resume, row details and export. Rows carry
 * data-* attributes (verdict, src, dst, port) so tests and users' scripts can
 * find them.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import { html, nothing, render } from 'lit';
import type { FlowEvent } from '../../src/protocol/flow-event';
import type { Labels } from '../../src/protocol/policy-ir';
import type { FlowsFromWebview, FlowsToWebview } from '../../src/protocol/webview-messages';
import { describeDropReason } from '../../src/protocol/drop-reasons';
import { hostChannel } from '../shared/vscode-api';
import { VirtualList } from '../shared/virtual-list';
import { endpointName, flowMatches, isEmptyQuery, parseFlowQuery, portText, ruleText, type FlowQuery } from './flow-filter';

interface ViewState { filter: string; onlyDrops: boolean; details: boolean }

/** Rows the webview retains, like the host's ring. */
const CAPACITY = 100_000;
const ROW_HEIGHT = 22;
const RESERVED_LABELS: Record<number, Labels> = { 1: { 'reserved:host': '' }, 2: { 'reserved:world': '' } };

const host = hostChannel<FlowsFromWebview, FlowsToWebview, ViewState>();
const state = host.state({ filter: '', onlyDrops: false, details: true });

/** Retained flows, oldest first; `base` is the sequence number of flows[0]. */
let flows: FlowEvent[] = [];
let base = 0;
/** Sequence numbers of the flows the filter shows, ascending. */
let shown: number[] = [];
let held: FlowEvent[] = [];
let paused = false;
let selected: number | undefined;
let query: FlowQuery = parseFlowQuery(state.filter);
const identities = new Map<number, Labels>();
const labelsOf = (id: number): Labels | undefined => identities.get(id) ?? RESERVED_LABELS[id];

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const toolbar = $('toolbar');
const viewport = $('rows');
const details = $('details');
const empty = $('empty');

function timeText(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour12: false }) + '.' + String(ms % 1000).padStart(3, '0');
}

const flowAt = (seq: number): FlowEvent => flows[seq - base];
const visible = (flow: FlowEvent): boolean => (!state.onlyDrops || flow.verdict === 'dropped') && flowMatches(flow, query, labelsOf);

// ── The table ───────────────────────────────────────────────────────────────

const COLUMNS = 8;
const list = new VirtualList(viewport, {
  rowHeight: ROW_HEIGHT,
  createRow() {
    const row = document.createElement('div');
    row.className = 'flow-row';
    for (let i = 0; i < COLUMNS; i++) row.appendChild(document.createElement('span'));
    return row;
  },
  renderRow(row, index) {
    const seq = shown[index];
    const flow = flowAt(seq);
    row.className = `flow-row ${flow.verdict}${seq === selected ? ' selected' : ''}`;
    row.dataset.seq = String(seq);
    row.dataset.verdict = flow.verdict;
    row.dataset.src = endpointName(flow.src);
    row.dataset.dst = endpointName(flow.dst);
    row.dataset.port = String(flow.dst.port);
    row.dataset.protocol = flow.protocol;
    row.title = flow.source ? 'Click to reveal the policy line that decided this flow' : '';
    const cells = row.children;
    cells[0].textContent = timeText(flow.time);
    cells[1].textContent = endpointName(flow.src);
    cells[2].textContent = endpointName(flow.dst);
    cells[3].textContent = portText(flow);
    cells[4].textContent = flow.direction;
    cells[5].textContent = flow.verdict;
    cells[6].textContent = flow.verdict === 'dropped' ? flow.dropReasonText ?? describeDropReason(flow.dropReason) : '';
    cells[7].textContent = ruleText(flow);
  },
});

function refilter(): void {
  shown = [];
  for (let i = 0; i < flows.length; i++) if (visible(flows[i])) shown.push(base + i);
  list.setCount(shown.length, true);
  renderChrome();
}

function append(batch: FlowEvent[]): void {
  for (const flow of batch) {
    const seq = base + flows.length;
    flows.push(flow);
    if (visible(flow)) shown.push(seq);
  }
  let changed = false;
  // Trim in chunks (a tenth of the capacity) so the array is copied rarely.
  if (flows.length > CAPACITY * 1.1) {
    const drop = flows.length - CAPACITY;
    flows = flows.slice(drop);
    base += drop;
    let k = 0;
    while (k < shown.length && shown[k] < base) k++;
    shown = shown.slice(k);
    changed = true;
  }
  list.setCount(shown.length, changed);
  scheduleChrome();
}

// ── Toolbar, status and details (Lit) ───────────────────────────────────────

let chromeFrame = 0;
function scheduleChrome(): void {
  chromeFrame ||= requestAnimationFrame(() => { chromeFrame = 0; renderChrome(); });
}

function onFilterInput(event: Event): void {
  state.filter = (event.target as HTMLInputElement).value;
  query = parseFlowQuery(state.filter);
  host.saveState(state);
  refilter();
}

function togglePause(): void {
  paused = !paused;
  if (!paused && held.length) { const h = held; held = []; append(h); }
  renderChrome();
}

function renderChrome(): void {
  const filtered = !isEmptyQuery(query) || state.onlyDrops;
  render(html`
    <vscode-textfield id="filter" placeholder="Filter like hubble observe: verdict:dropped from:frontend to-label:app=db port:5432 proto:tcp dir:ingress reason:policy, or words"
      .value=${state.filter} @input=${onFilterInput}></vscode-textfield>
    <vscode-checkbox id="only-drops" .checked=${state.onlyDrops}
      @change=${(e: Event) => { state.onlyDrops = (e.target as HTMLInputElement).checked; host.saveState(state); refilter(); }}>Only drops</vscode-checkbox>
    <vscode-button id="pause" secondary @click=${togglePause}>${paused ? 'Resume' : 'Pause'}</vscode-button>
    <vscode-button id="export" secondary title="Save the shown flows as Hubble JSON lines (hubble observe -o jsonpb)"
      @click=${() => host.post({ type: 'export', flows: shown.map(flowAt) })}>Export…</vscode-button>
    <vscode-button id="clear" secondary @click=${() => host.post({ type: 'clear' })}>Clear</vscode-button>
    <vscode-button id="toggle-details" secondary @click=${() => { state.details = !state.details; host.saveState(state); renderChrome(); }}>${state.details ? 'Hide details' : 'Details'}</vscode-button>
    <span id="count">${filtered ? `${shown.length} shown of ${flows.length}` : `${flows.length} flows`}${paused ? html` · <vscode-badge>paused, ${held.length} waiting</vscode-badge>` : nothing}</span>
    ${query.unknown.length ? html`<div id="filter-warning">Unknown filter ${query.unknown.length > 1 ? 'keys' : 'key'}: ${query.unknown.join(', ')}</div>` : nothing}
  `, toolbar);
  empty.hidden = flows.length > 0 || held.length > 0;
  details.hidden = !state.details;
  renderDetails();
}

function labelChips(identity: number) {
  const labels = labelsOf(identity);
  if (!labels) return html`<span class="muted">labels unknown</span>`;
  return Object.entries(labels).map(([k, v]) => html`<span class="label">${v ? `${k}=${v}` : k}</span>`);
}

function endpointDetails(title: string, e: FlowEvent['src']) {
  return html`<div class="endpoint"><h4>${title}</h4>
    <div><b>${e.workload ?? e.ip}</b> <span class="muted">${e.ip}${e.port ? `:${e.port}` : ''}</span></div>
    <div>identity <b>${e.identity}</b> ${labelChips(e.identity)}</div></div>`;
}

function conntrackText(flow: FlowEvent): string {
  switch (flow.match) {
    case 'ct-established': return 'established (conntrack hit; policy not re-evaluated)';
    case 'ct-reply': return 'reply of an established connection (conntrack hit)';
    case 'policy': return 'new (conntrack miss): evaluated against policy, matched a rule';
    case 'default-deny': return 'new (conntrack miss): no rule allows it, the endpoint is in default deny';
    case 'default-allow': return 'new (conntrack miss): no policy selects the endpoint in this direction';
    default: return flow.match;
  }
}

function renderDetails(): void {
  if (!state.details) return;
  const flow = selected !== undefined && selected >= base ? flowAt(selected) : undefined;
  if (!flow) { render(html`<div class="muted">Select a flow to see its identities, rule and conntrack state.</div>`, details); return; }
  const reason = flow.verdict === 'dropped' ? `${flow.dropReasonText ?? describeDropReason(flow.dropReason)} (${flow.dropReason})` : '';
  render(html`
    <div class="summary"><span class="verdict ${flow.verdict}">${flow.verdict}</span> ${reason}
      · ${flow.direction} at ${flow.endpoint ?? 'unknown endpoint'} · ${timeText(flow.time)}</div>
    <div class="endpoints">${endpointDetails('Source', flow.src)}${endpointDetails('Destination', flow.dst)}</div>
    <table class="facts">
      <tr><th>Protocol</th><td>${portText(flow)}${flow.tcpFlags ? html` · TCP flags <b>${flow.tcpFlags}</b>` : nothing}${flow.length ? ` · ${flow.length} bytes` : ''}</td></tr>
      <tr><th>Conntrack</th><td>${conntrackText(flow)}</td></tr>
      <tr><th>Decided by</th><td>${ruleText(flow) || 'no rule'}${flow.ruleId ?? flow.policyId ? html` <span class="muted">(${flow.ruleId ?? flow.policyId}, cookie ${flow.cookie})</span>` : nothing}
        ${flow.source ? html` <a href="#" id="reveal-rule" @click=${(e: Event) => { e.preventDefault(); reveal(selected!); }}>Reveal in policy</a>` : nothing}</td></tr>
    </table>`, details);
}

function reveal(seq: number): void {
  host.post({ type: 'reveal', index: seq - base, flow: flowAt(seq) });
}

viewport.addEventListener('click', (event) => {
  const row = (event.target as HTMLElement).closest('.flow-row') as HTMLElement | null;
  if (!row) return;
  selected = Number(row.dataset.seq);
  list.refresh();
  renderDetails();
  reveal(selected);
});

host.onMessage((message) => {
  switch (message.type) {
    case 'flows/reset':
      flows = []; base = 0; shown = []; held = []; selected = undefined;
      append(message.flows);
      list.follow = true;
      renderChrome();
      break;
    case 'flows/append':
      if (paused) { held.push(...message.flows); scheduleChrome(); } else append(message.flows);
      break;
    case 'flows/identities':
      identities.clear();
      for (const i of message.identities) identities.set(i.id, i.labels);
      // Label filters depend on identities.
      if (query.terms.has('label') || query.terms.has('from-label') || query.terms.has('to-label')) refilter(); else renderDetails();
      break;
    case 'status':
      $('count').textContent = message.text;
      break;
  }
});

renderChrome();
host.post({ type: 'ready' });
