/**
 * Maps webview front end: the pinned maps on the left (type, fill of max
 * entries), the selected map's decoded entries on the right with search,
 * paging ("Load more" passes the agent's cursor), refresh and auto-refresh.
 * Identities show their label sets; rule cookies show the rule's text, linked
 * to its line in the policy.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import { html, nothing, render } from 'lit';
import type { MapEntryView, MapView } from '../../src/protocol/agent-rpc';
import type { MapsFromWebview, MapsToWebview } from '../../src/protocol/webview-messages';
import { hostChannel } from '../shared/vscode-api';

interface ViewState { selected?: string; search: string; autoRefresh: boolean }

const AUTO_REFRESH_MS = 2000;
const host = hostChannel<MapsFromWebview, MapsToWebview, ViewState>();
const state = host.state({ search: '', autoRefresh: false });
const app = document.getElementById('app') as HTMLElement;

let maps: MapView[] = [];
let pinDir = '';
let error: string | undefined;
let updated = 0;
let loading = true;

function fieldText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function fields(record: Record<string, unknown>) {
  return Object.entries(record).map(([k, v]) => html`<span class="field"><span class="key">${k}</span>=${fieldText(v)}</span> `);
}

function entryText(e: MapEntryView): string {
  return [JSON.stringify(e.key), JSON.stringify(e.value), e.identity ? `${e.identity.id} ${Object.entries(e.identity.labels).map(([k, v]) => `${k}=${v}`).join(' ')}` : '',
    e.rule?.text ?? '', e.rule?.ruleId ?? '', e.rule?.policyId ?? ''].join(' ').toLowerCase();
}

function identityCell(e: MapEntryView) {
  if (!e.identity) return nothing;
  const labels = Object.entries(e.identity.labels);
  return html`<b>${e.identity.id}</b> ${labels.length ? labels.map(([k, v]) => html`<span class="label">${v ? `${k}=${v}` : k}</span>`) : html`<span class="muted">no labels known</span>`}`;
}

function ruleCell(e: MapEntryView) {
  const rule = e.rule;
  if (!rule) return nothing;
  const text = rule.text ?? (rule.policyId ? `default deny of policy ${rule.policyId}` : `cookie ${rule.cookie}`);
  const title = `${rule.ruleId ?? rule.policyId ?? 'unknown rule'} (cookie ${rule.cookie})`;
  return rule.source
    ? html`<a href="#" class="rule-link" title=${`${title}: click to open its line`} @click=${(ev: Event) => { ev.preventDefault(); host.post({ type: 'reveal', source: rule.source! }); }}>${text}</a>`
    : html`<span title=${title}>${text}</span>`;
}

function fill(m: MapView) {
  const pct = m.maxEntries ? Math.min(100, (m.fill / m.maxEntries) * 100) : 0;
  return html`<span class="fill"><span class="bar"><span class=${`bar-value w${Math.round(pct / 5) * 5}`}></span></span>${m.fill.toLocaleString()} / ${m.maxEntries.toLocaleString()}</span>`;
}

function select(name: string): void {
  state.selected = name;
  host.saveState(state);
  draw();
}

function draw(): void {
  const current = maps.find((m) => m.name === state.selected) ?? maps[0];
  const search = state.search.trim().toLowerCase();
  const entries = current ? current.entries.filter((e) => !search || entryText(e).includes(search)) : [];
  render(html`
    <div id="toolbar">
      <vscode-button id="refresh" secondary @click=${() => { loading = true; draw(); host.post({ type: 'refresh' }); }}>Refresh</vscode-button>
      <vscode-checkbox id="auto-refresh" .checked=${state.autoRefresh} @change=${(e: Event) => { state.autoRefresh = (e.target as HTMLInputElement).checked; host.saveState(state); draw(); }}>Auto-refresh (2 s)</vscode-checkbox>
      <span class="muted">${pinDir ? `pinned in ${pinDir}` : ''}${updated ? ` · read ${new Date(updated).toLocaleTimeString(undefined, { hour12: false })}` : ''}</span>
    </div>
    ${loading ? html`<vscode-progress-bar></vscode-progress-bar>` : nothing}
    ${error ? html`<div id="error">${error}</div>` : nothing}
    <div id="layout">
      <div id="map-list" role="listbox" aria-label="Pinned maps">
        ${maps.map((m) => html`<div class=${`map-item${m === current ? ' selected' : ''}`} role="option" aria-selected=${m === current} data-map=${m.name} @click=${() => select(m.name)}>
          <div class="map-name">${m.name}</div><div class="muted">${m.type} · ${fill(m)}</div></div>`)}
      </div>
      <div id="map-detail">
        ${current ? html`
          <div class="map-header"><h3>${current.name}</h3><span class="muted">${current.type} · ${fill(current)} entries</span></div>
          <div class="muted description">${current.description}</div>
          <vscode-textfield id="search" placeholder="Search entries: IP, identity, label, rule text…" .value=${state.search}
            @input=${(e: Event) => { state.search = (e.target as HTMLInputElement).value; host.saveState(state); draw(); }}></vscode-textfield>
          <div class="muted">${entries.length} of ${current.entries.length} loaded entries${current.fill > current.entries.length ? ` (map holds ${current.fill})` : ''}</div>
          <div id="entries">${entries.map((e) => html`<div class="map-entry" data-map=${current.name} data-cookie=${e.rule?.cookie ?? ''}>
            <div class="kv">${fields(e.key)}<span class="arrow">→</span>${fields(e.value)}</div>
            ${e.identity || e.rule ? html`<div class="meaning">${e.identity ? html`<span class="identity">identity ${identityCell(e)}</span>` : nothing}${e.rule ? html`<span class="rule">${ruleCell(e)}</span>` : nothing}</div>` : nothing}
          </div>`)}</div>
          ${current.nextCursor ? html`<vscode-button id="more" secondary @click=${() => host.post({ type: 'maps/more', map: current.name, cursor: current.nextCursor! })}>Load more</vscode-button>` : nothing}
        ` : html`<div class="muted">${loading ? 'Reading the maps…' : 'No maps.'}</div>`}
      </div>
    </div>`, app);
}

host.onMessage((message) => {
  if (message.type === 'maps/list') {
    loading = false;
    error = message.error;
    pinDir = message.pinDir;
    updated = message.time;
    maps = message.maps;
    // First time: open the map where rules live.
    if (!state.selected) state.selected = maps.find((m) => m.entries.some((e) => e.rule?.text))?.name;
  } else if (message.type === 'maps/page') {
    const i = maps.findIndex((m) => m.name === message.map.name);
    if (i >= 0) maps[i] = { ...message.map, entries: message.append ? maps[i].entries.concat(message.map.entries) : message.map.entries };
  }
  draw();
});

setInterval(() => { if (state.autoRefresh && !document.hidden) host.post({ type: 'refresh' }); }, AUTO_REFRESH_MS);
draw();
host.post({ type: 'ready' });
