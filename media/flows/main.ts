/**
 * Flows webview front end. Renders the newest matching flows; the full ring
 * stays in the extension host. Rows carry data-* attributes (verdict, src,
 * dst, port) so tests and users' scripts can find them.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { FlowEvent } from '../../src/protocol/flow-event';
import type { FlowsFromWebview, FlowsToWebview } from '../../src/protocol/webview-messages';
import { describeDropReason } from '../../src/protocol/drop-reasons';

interface VsCodeApi { postMessage(message: FlowsFromWebview): void; getState(): unknown; setState(state: unknown): void }
declare function acquireVsCodeApi(): VsCodeApi;

interface ViewState { filter: string; onlyDrops: boolean }

/** How many rows are in the DOM at once; the ring itself holds up to 100,000. */
const MAX_ROWS = 1000;

const vscode = acquireVsCodeApi();
const state: ViewState = { filter: '', onlyDrops: false, ...(vscode.getState() as Partial<ViewState> | undefined) };
let flows: FlowEvent[] = [];
let paused = false;
let held: FlowEvent[] = [];

const tbody = document.querySelector('#flows tbody') as HTMLTableSectionElement;
const empty = document.getElementById('empty') as HTMLElement;
const count = document.getElementById('count') as HTMLElement;
const filterInput = document.getElementById('filter') as HTMLInputElement;
const onlyDrops = document.getElementById('only-drops') as HTMLInputElement;
const pauseButton = document.getElementById('pause') as HTMLElement;

filterInput.value = state.filter;
onlyDrops.checked = state.onlyDrops;

function endpointName(e: FlowEvent['src']): string {
  return e.workload ? e.workload.replace(/^default\//, '') : e.ip;
}

function portOf(flow: FlowEvent): string {
  return flow.protocol === 'icmp' ? 'icmp' : `${flow.dst.port}/${flow.protocol}`;
}

function ruleOf(flow: FlowEvent): string {
  if (flow.ruleText) return flow.ruleText;
  if (flow.policyId) return `default deny (policy ${flow.policyId})`;
  return flow.match === 'default-allow' ? 'no policy selects this endpoint' : '';
}

function matches(flow: FlowEvent): boolean {
  if (state.onlyDrops && flow.verdict !== 'dropped') return false;
  if (!state.filter) return true;
  const haystack = [endpointName(flow.src), endpointName(flow.dst), portOf(flow), flow.verdict, flow.dropReasonText ?? '', ruleOf(flow), flow.direction]
    .join(' ').toLowerCase();
  return state.filter.toLowerCase().split(/\s+/).every((word) => haystack.includes(word));
}

function row(flow: FlowEvent, index: number): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.className = `flow-row ${flow.verdict}`;
  tr.dataset.index = String(index);
  tr.dataset.verdict = flow.verdict;
  tr.dataset.src = endpointName(flow.src);
  tr.dataset.dst = endpointName(flow.dst);
  tr.dataset.port = String(flow.dst.port);
  tr.dataset.protocol = flow.protocol;
  tr.title = flow.source ? 'Click to reveal the policy line that decided this flow' : '';
  const reason = flow.verdict === 'dropped' ? flow.dropReasonText ?? describeDropReason(flow.dropReason) : '';
  const cells = [
    new Date(flow.time).toLocaleTimeString(undefined, { hour12: false }) + '.' + String(flow.time % 1000).padStart(3, '0'),
    endpointName(flow.src),
    endpointName(flow.dst),
    portOf(flow),
    flow.verdict,
    reason,
    ruleOf(flow),
  ];
  for (const text of cells) {
    const td = document.createElement('td');
    td.textContent = text;
    tr.appendChild(td);
  }
  return tr;
}

function render(): void {
  const shown: HTMLTableRowElement[] = [];
  for (let i = flows.length - 1; i >= 0 && shown.length < MAX_ROWS; i--) if (matches(flows[i])) shown.push(row(flows[i], i));
  tbody.replaceChildren(...shown);
  empty.hidden = flows.length > 0;
  count.textContent = `${shown.length} shown of ${flows.length}${paused ? ` · paused (${held.length} waiting)` : ''}`;
}

tbody.addEventListener('click', (event) => {
  const tr = (event.target as HTMLElement).closest('tr.flow-row') as HTMLTableRowElement | null;
  if (!tr) return;
  const index = Number(tr.dataset.index);
  vscode.postMessage({ type: 'reveal', index, flow: flows[index] });
});
filterInput.addEventListener('input', () => { state.filter = filterInput.value; vscode.setState(state); render(); });
onlyDrops.addEventListener('change', () => { state.onlyDrops = onlyDrops.checked; vscode.setState(state); render(); });
document.getElementById('clear')!.addEventListener('click', () => vscode.postMessage({ type: 'clear' }));
pauseButton.addEventListener('click', () => {
  paused = !paused;
  pauseButton.textContent = paused ? 'Resume' : 'Pause';
  if (!paused) { flows = flows.concat(held); held = []; }
  render();
});

window.addEventListener('message', (event: MessageEvent<FlowsToWebview>) => {
  const message = event.data;
  if (message.type === 'flows/reset') { flows = message.flows; held = []; render(); }
  else if (message.type === 'flows/append') {
    if (paused) held.push(...message.flows);
    else flows = flows.concat(message.flows);
    render();
  } else if (message.type === 'status') count.textContent = message.text;
});

vscode.postMessage({ type: 'ready' });
