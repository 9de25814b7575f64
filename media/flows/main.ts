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
import { FlowColumnRing } from '../../src/protocol/flow-column-ring';
import type { FlowColumnBatch } from '../../src/protocol/flow-columns';
import { FlowCursor } from '../../src/protocol/flow-cursor';
import { reservedIdentityLabels } from '../../src/protocol/identities';
import type { Labels } from '../../src/protocol/policy-ir';
import type { FlowsFromWebview, FlowsToWebview } from '../../src/protocol/webview-messages';
import { describeDropReason } from '../../src/protocol/drop-reasons';
import { hostChannel } from '../shared/vscode-api';
import { VirtualList } from '../shared/virtual-list';
import { SeqIndex } from './flow-ring';
import { endpointName, flowMatches, isEmptyQuery, parseFlowQuery, portText, ruleText, type FlowQuery } from './flow-filter';

interface ViewState { filter: string; onlyDrops: boolean; details: boolean }

/** Rows the webview retains until the host says its retention (the reset message carries it). */
const DEFAULT_CAPACITY = 100_000;
const ROW_HEIGHT = 22;

const host = hostChannel<FlowsFromWebview, FlowsToWebview, ViewState>();
const state = host.state({ filter: '', onlyDrops: false, details: true });

/** Retained flows by sequence number, as columns (no object per flow; the oldest leave as new ones arrive). */
const flows = new FlowColumnRing(DEFAULT_CAPACITY);
/** Reads one retained flow through the FlowEvent interface: the filter and the rows use it, objects are made only for details and export. */
const cursor = new FlowCursor(flows);
/** Sequence numbers of the flows the filter shows, ascending; kept as flows arrive and leave, rebuilt only when the filter or retention changes. */
let shown = new SeqIndex(DEFAULT_CAPACITY);
/** Batches that arrived while paused. */
let held: FlowColumnBatch[] = [];
let heldCount = 0;
let paused = false;
let selected: number | undefined;
let query: FlowQuery = parseFlowQuery(state.filter);
const identities = new Map<number, Labels>();
const labelsOf = (id: number): Labels | undefined => identities.get(id) ?? reservedIdentityLabels(id);

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const toolbar = $('toolbar');
const viewport = $('rows');
const details = $('details');
const empty = $('empty');

/** What toLocaleTimeString(undefined, { hour12: false }) prints, with one formatter instead of one per call (the hottest function while streaming). */
const clock = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: 'numeric', second: 'numeric', hour12: false });
let clockSecond = NaN;
let clockText = '';
function timeText(ms: number): string {
  const second = Math.floor(ms / 1000);
  // Flows of a batch mostly share their second: format it once.
  if (second !== clockSecond) { clockSecond = second; clockText = clock.format(ms); }
  return clockText + '.' + String(ms % 1000).padStart(3, '0');
}

/** The cursor on flow `seq` (valid until the next call). */
const flowAt = (seq: number): FlowEvent => cursor.at(seq)!;
const shownFlows = (): FlowEvent[] => {
  const out = new Array<FlowEvent>(shown.length);
  for (let i = 0; i < shown.length; i++) out[i] = flows.event(shown.at(i))!;
  return out;
};
const visible = (flow: FlowEvent): boolean => (!state.onlyDrops || flow.verdict === 'dropped') && flowMatches(flow, query, labelsOf);

// ── The table ───────────────────────────────────────────────────────────────

const COLUMNS = 8;

/** A pooled table row and what it shows, so a refill writes only what differs (each DOM write costs style or layout work). */
interface FlowRowView {
  readonly element: HTMLElement;
  readonly cells: Text[];
  className: string;
  verdict: string;
  src: string;
  dst: string;
  port: string;
  protocol: string;
  title: string;
}

function setAttr(row: FlowRowView, key: 'verdict' | 'src' | 'dst' | 'port' | 'protocol', value: string): void {
  if (row[key] !== value) { row[key] = value; row.element.dataset[key] = value; }
}

function setCell(row: FlowRowView, i: number, value: string): void {
  const text = row.cells[i];
  if (text.data !== value) text.data = value;
}

const list = new VirtualList<FlowRowView>(viewport, {
  rowHeight: ROW_HEIGHT,
  createRow() {
    const element = document.createElement('div');
    element.className = 'flow-row';
    const cells: Text[] = [];
    for (let i = 0; i < COLUMNS; i++) {
      const span = document.createElement('span');
      cells.push(span.appendChild(document.createTextNode('')));
      element.appendChild(span);
    }
    return { element, cells, className: 'flow-row', verdict: '', src: '', dst: '', port: '', protocol: '', title: '' };
  },
  keyOf: (index) => shown.at(index),
  renderRow(row, index) {
    const seq = shown.at(index);
    const flow = flowAt(seq);
    const className = seq === selected ? `flow-row ${flow.verdict} selected` : flow.verdict === 'dropped' ? 'flow-row dropped' : flow.verdict === 'forwarded' ? 'flow-row forwarded' : `flow-row ${flow.verdict}`;
    if (row.className !== className) { row.className = className; row.element.className = className; }
    row.element.dataset.seq = String(seq);
    const src = endpointName(flow.src);
    const dst = endpointName(flow.dst);
    setAttr(row, 'verdict', flow.verdict);
    setAttr(row, 'src', src);
    setAttr(row, 'dst', dst);
    setAttr(row, 'port', String(flow.dst.port));
    setAttr(row, 'protocol', flow.protocol);
    const title = flow.source ? 'Click to reveal the policy line that decided this flow' : '';
    if (row.title !== title) { row.title = title; row.element.title = title; }
    setCell(row, 0, timeText(flow.time));
    setCell(row, 1, src);
    setCell(row, 2, dst);
    setCell(row, 3, portText(flow));
    setCell(row, 4, flow.direction);
    setCell(row, 5, flow.verdict);
    setCell(row, 6, flow.verdict === 'dropped' ? flow.dropReasonText ?? describeDropReason(flow.dropReason) : '');
    setCell(row, 7, ruleText(flow));
  },
  clearRow(row) {
    // A hidden spare row must not still look like data to selectors (tests, users' scripts).
    const data = row.element.dataset;
    delete data.seq; delete data.verdict; delete data.src; delete data.dst; delete data.port; delete data.protocol;
    row.verdict = row.src = row.dst = row.port = row.protocol = '';
  },
});

function refilter(): void {
  shown.clear();
  for (let seq = flows.base; seq < flows.end; seq++) if (visible(flowAt(seq))) shown.push(seq);
  list.setCount(shown.length, true);
  renderChrome();
}

function append(batch: FlowColumnBatch): void {
  const first = flows.end;
  flows.append(batch);
  // Flows that left the ring leave the shown index too.
  const removed = shown.dropBelow(flows.base);
  for (let seq = Math.max(first, flows.base); seq < flows.end; seq++) if (visible(flowAt(seq))) shown.push(seq);
  list.setCount(shown.length, false, removed);
  scheduleCount();
}

/** Keeps a batch while paused; batches only older than the retention could keep are let go. */
function hold(batch: FlowColumnBatch): void {
  held.push(batch);
  heldCount += batch.count;
  while (held.length > 1 && heldCount - held[0].count >= flows.capacity) heldCount -= held.shift()!.count;
  scheduleCount();
}

/** The host's retention: the ring keeps the newest `capacity` flows. */
function setCapacity(capacity: number): void {
  if (capacity === flows.capacity) return;
  flows.resize(capacity);
  shown = new SeqIndex(capacity);
  if (selected !== undefined && selected < flows.base) selected = undefined;
  refilter();
}

// ── Toolbar, status and details (Lit) ───────────────────────────────────────

/** While streaming only the count changes: it is written directly once per frame, not by re-rendering the toolbar and details. */
let countFrame = 0;
function scheduleCount(): void {
  countFrame ||= requestAnimationFrame(() => { countFrame = 0; renderCount(); });
}

const pausedBadge = document.createElement('vscode-badge');
function renderCount(): void {
  const count = document.getElementById('count');
  if (!count) return;
  const filtered = !isEmptyQuery(query) || state.onlyDrops;
  count.textContent = filtered ? `${shown.length} shown of ${flows.length}` : `${flows.length} flows`;
  if (paused) {
    pausedBadge.textContent = `paused, ${heldCount} waiting`;
    count.append(' · ', pausedBadge);
  }
  empty.hidden = flows.length > 0 || heldCount > 0;
}

function onFilterInput(event: Event): void {
  state.filter = (event.target as HTMLInputElement).value;
  query = parseFlowQuery(state.filter);
  host.saveState(state);
  refilter();
}

function togglePause(): void {
  paused = !paused;
  if (!paused && held.length) { const h = held; held = []; heldCount = 0; for (const batch of h) append(batch); }
  renderChrome();
}

function renderChrome(): void {
  render(html`
    <vscode-textfield id="filter" placeholder="Filter like hubble observe: verdict:dropped from:frontend to-label:app=db port:5432 proto:tcp dir:ingress reason:policy, or words"
      .value=${state.filter} @input=${onFilterInput}></vscode-textfield>
    <vscode-checkbox id="only-drops" .checked=${state.onlyDrops}
      @change=${(e: Event) => { state.onlyDrops = (e.target as HTMLInputElement).checked; host.saveState(state); refilter(); }}>Only drops</vscode-checkbox>
    <vscode-button id="pause" secondary @click=${togglePause}>${paused ? 'Resume' : 'Pause'}</vscode-button>
    <vscode-button id="export" secondary title="Save the shown flows as Hubble JSON lines (hubble observe -o jsonpb)"
      @click=${() => host.post({ type: 'export', flows: shownFlows() })}>Export…</vscode-button>
    <vscode-button id="clear" secondary @click=${() => host.post({ type: 'clear' })}>Clear</vscode-button>
    <vscode-button id="toggle-details" secondary @click=${() => { state.details = !state.details; host.saveState(state); renderChrome(); }}>${state.details ? 'Hide details' : 'Details'}</vscode-button>
    <span id="count"></span>
    ${query.unknown.length ? html`<div id="filter-warning">Unknown filter ${query.unknown.length > 1 ? 'keys' : 'key'}: ${query.unknown.join(', ')}</div>` : nothing}
  `, toolbar);
  renderCount();
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
  const flow = selected !== undefined ? flows.event(selected) : undefined;
  if (!flow) { render(html`<div class="muted">Select a flow to see its identities, rule and conntrack state.</div>`, details); return; }
  const reason = flow.verdict === 'dropped' ? `${flow.dropReasonText ?? describeDropReason(flow.dropReason)} (${flow.dropReason})` : '';
  render(html`
    <div class="summary"><span class="verdict ${flow.verdict}">${flow.verdict}</span> ${reason}
      · ${flow.direction} at ${flow.endpoint ?? 'unknown endpoint'} · ${timeText(flow.time)}</div>
    <div class="endpoints">${endpointDetails('Source', flow.src)}${endpointDetails('Destination', flow.dst)}</div>
    <table class="facts">
      <tr><th>Protocol</th><td>${portText(flow)}${flow.tcpFlags ? html` · TCP flags <b>${flow.tcpFlags}</b>` : nothing}${flow.length ? ` · ${flow.length} bytes` : ''}</td></tr>
      ${flow.ifindex ? html`<tr><th>Interface</th><td id="flow-interface">ifindex <b>${flow.ifindex}</b> <span class="muted">in the node namespace</span></td></tr>` : nothing}
      <tr><th>Conntrack</th><td>${conntrackText(flow)}</td></tr>
      <tr><th>Decided by</th><td>${ruleText(flow) || 'no rule'}${flow.ruleId ?? flow.policyId ? html` <span class="muted">(${flow.ruleId ?? flow.policyId}, cookie ${flow.cookie})</span>` : nothing}
        ${flow.source ? html` <a href="#" id="reveal-rule" @click=${(e: Event) => { e.preventDefault(); reveal(selected!); }}>Reveal in policy</a>` : nothing}</td></tr>
    </table>`, details);
}

function reveal(seq: number): void {
  host.post({ type: 'reveal', index: seq - flows.base, flow: flows.event(seq)! });
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
      flows.clear(); held = []; heldCount = 0; selected = undefined;
      if (message.capacity !== flows.capacity) { flows.resize(message.capacity); shown = new SeqIndex(message.capacity); } else shown.clear();
      list.setCount(0, true);
      append(message.columns);
      list.follow = true;
      renderChrome();
      break;
    case 'flows/append':
      if (paused) hold(message.columns); else append(message.columns);
      break;
    case 'flows/retention':
      setCapacity(message.capacity);
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
    case 'flows/filter':
      state.filter = message.filter;
      query = parseFlowQuery(state.filter);
      host.saveState(state);
      refilter();
      renderChrome();
      break;
  }
});

renderChrome();
host.post({ type: 'ready' });
