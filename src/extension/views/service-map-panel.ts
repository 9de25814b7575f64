/**
 * The service map: workloads as nodes, observed flows as edges colored by
 * verdict (green forwarded, red dropped, amber both). Drawn as SVG in the
 * host from the flow ring (no graph library: a ring layout of a lab's few
 * workloads needs none, and nothing external runs under the CSP); clicking an
 * edge opens the flows view filtered to that pair.
 */
import { Coalesced } from '../editor/coalesce';
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { Ctx } from '../ctx';
import type { FlowEvent } from '../../protocol/flow-event';

export interface MapEdge { from: string; to: string; ports: string[]; forwarded: number; dropped: number }
export interface MapGraph { nodes: string[]; edges: MapEdge[] }

const short = (w: string): string => w.replace(/^default\//, '');

/** Nodes from the lab and both ends of every flow; one edge per (source, destination). Pure. */
export function buildGraph(workloads: readonly string[], flows: Iterable<FlowEvent>): MapGraph {
  const nodes = new Set(workloads.map(short));
  const edges = new Map<string, MapEdge>();
  for (const f of flows) {
    const from = short(f.src.workload ?? f.src.ip);
    const to = short(f.dst.workload ?? f.dst.ip);
    nodes.add(from).add(to);
    const key = `${from}\u0000${to}`;
    let edge = edges.get(key);
    if (!edge) edges.set(key, (edge = { from, to, ports: [], forwarded: 0, dropped: 0 }));
    const port = f.protocol === 'icmp' ? 'icmp' : `${f.dst.port}/${f.protocol}`;
    if (!edge.ports.includes(port) && edge.ports.length < 4) edge.ports.push(port);
    if (f.verdict === 'dropped') edge.dropped++; else edge.forwarded++;
  }
  return { nodes: [...nodes].sort(), edges: [...edges.values()] };
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The graph as SVG: nodes on a circle, curved edges with arrowheads and port labels. Pure. */
export function renderSvg(graph: MapGraph, size = 560): string {
  const c = size / 2;
  const r = graph.nodes.length > 1 ? size / 2 - 70 : 0;
  const at = new Map(graph.nodes.map((n, i) => {
    const a = (2 * Math.PI * i) / graph.nodes.length - Math.PI / 2;
    return [n, { x: c + r * Math.cos(a), y: c + r * Math.sin(a) }];
  }));
  const edges = graph.edges.map((e, i) => {
    const a = at.get(e.from)!; const b = at.get(e.to)!;
    const verdict = e.dropped && e.forwarded ? 'mixed' : e.dropped ? 'dropped' : 'forwarded';
    const label = `${e.ports.join(', ')} · ${e.forwarded}✓ ${e.dropped}✕`;
    if (a === b) {
      return `<g class="edge ${verdict}" data-edge="${i}" tabindex="0"><title>${esc(`${e.from} → ${e.to}: ${label}`)}</title><circle cx="${a.x}" cy="${a.y - 38}" r="16" fill="none"/><text x="${a.x}" y="${a.y - 60}">${esc(label)}</text></g>`;
    }
    // Bend each direction to its own side so A→B and B→A do not overlap; stop short of the node circle.
    const dx = b.x - a.x; const dy = b.y - a.y; const len = Math.hypot(dx, dy) || 1;
    const ux = dx / len; const uy = dy / len;
    const sx = a.x + ux * 30; const sy = a.y + uy * 30; const tx = b.x - ux * 34; const ty = b.y - uy * 34;
    const mx = (sx + tx) / 2 - uy * 28; const my = (sy + ty) / 2 + ux * 28;
    return `<g class="edge ${verdict}" data-edge="${i}" tabindex="0"><title>${esc(`${e.from} → ${e.to}: ${label} — click to filter the flows`)}</title>`
      + `<path d="M${sx.toFixed(1)},${sy.toFixed(1)} Q${mx.toFixed(1)},${my.toFixed(1)} ${tx.toFixed(1)},${ty.toFixed(1)}" marker-end="url(#arrow-${verdict})"/>`
      + `<path class="hit" d="M${sx.toFixed(1)},${sy.toFixed(1)} Q${mx.toFixed(1)},${my.toFixed(1)} ${tx.toFixed(1)},${ty.toFixed(1)}"/>`
      + `<text x="${mx.toFixed(1)}" y="${(my - 4).toFixed(1)}">${esc(label)}</text></g>`;
  }).join('');
  const nodes = graph.nodes.map((n) => {
    const p = at.get(n)!;
    return `<g class="node" data-node="${esc(n)}"><circle cx="${p.x.toFixed(1)}" cy="${p.y.toFixed(1)}" r="26"/><text x="${p.x.toFixed(1)}" y="${(p.y + 4).toFixed(1)}">${esc(n)}</text></g>`;
  }).join('');
  const marker = (v: string): string => `<marker id="arrow-${v}" class="${v}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker>`;
  return `<svg id="map" viewBox="0 0 ${size} ${size}" role="img" aria-label="Service map"><defs>${marker('forwarded')}${marker('dropped')}${marker('mixed')}</defs>${edges}${nodes}</svg>`;
}

export class ServiceMapPanel {
  static readonly viewType = 'policyStudio.serviceMap';
  private static current?: ServiceMapPanel;
  private graph: MapGraph = { nodes: [], edges: [] };
  private readonly refresher = new Coalesced(() => this.update());
  private readonly subscriptions: vscode.Disposable[] = [];

  private constructor(private readonly ctx: Ctx, private readonly panel: vscode.WebviewPanel) {
    panel.webview.options = { enableScripts: true, localResourceRoots: [] };
    this.subscriptions.push(
      ctx.flows.onDidAppend(() => this.schedule()),
      ctx.flows.onDidClear(() => this.schedule()),
      panel.webview.onDidReceiveMessage((m: { type: 'edge'; index: number } | { type: 'ready' }) => {
        if (m.type === 'ready') this.update();
        if (m.type === 'edge') {
          const edge = this.graph.edges[m.index];
          if (edge) void vscode.commands.executeCommand('policyStudio.showFlows', { filter: `from:${edge.from} to:${edge.to}`, from: edge.from, to: edge.to });
        }
      }),
    );
    panel.onDidDispose(() => {
      this.refresher.dispose();
      for (const s of this.subscriptions.splice(0)) s.dispose();
      if (ServiceMapPanel.current === this) ServiceMapPanel.current = undefined;
    });
    panel.webview.html = this.html();
  }

  static show(ctx: Ctx): ServiceMapPanel {
    if (ServiceMapPanel.current) ServiceMapPanel.current.panel.reveal();
    else ServiceMapPanel.current = new ServiceMapPanel(ctx, vscode.window.createWebviewPanel(ServiceMapPanel.viewType, 'Service Map', vscode.ViewColumn.Beside, { retainContextWhenHidden: false }));
    return ServiceMapPanel.current;
  }

  static revive(ctx: Ctx, panel: vscode.WebviewPanel): void {
    ServiceMapPanel.current = new ServiceMapPanel(ctx, panel);
  }

  private schedule(): void {
    this.refresher.request();
  }

  private update(): void {
    const workloads = (this.ctx.session?.lab?.endpoints ?? []).map((e) => `${e.namespace}/${e.workload}`);
    this.graph = buildGraph(workloads, this.ctx.flows.scan());
    const empty = this.graph.nodes.length ? '' : 'No lab and no flows yet: deploy the workspace and probe a connection.';
    void this.panel.webview.postMessage({ type: 'render', svg: renderSvg(this.graph), empty });
  }

  private html(): string {
    const nonce = randomBytes(16).toString('base64');
    return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<style nonce="${nonce}">
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); background: var(--vscode-editor-background); margin: 0; padding: 8px 16px; }
#map { width: 100%; max-width: 720px; height: auto; display: block; }
.node circle { fill: var(--vscode-editorWidget-background); stroke: var(--vscode-focusBorder); stroke-width: 2; }
.node text, .edge text { fill: var(--vscode-foreground); font-size: 11px; text-anchor: middle; font-family: var(--vscode-editor-font-family); }
.edge path { fill: none; stroke-width: 2.5; } .edge path.hit { stroke: transparent; stroke-width: 14; cursor: pointer; }
.edge { cursor: pointer; } .edge:hover path:not(.hit), .edge:focus path:not(.hit) { stroke-width: 4; }
.forwarded path:not(.hit), marker.forwarded path { stroke: var(--vscode-testing-iconPassed); fill: var(--vscode-testing-iconPassed); }
.dropped path:not(.hit), marker.dropped path { stroke: var(--vscode-errorForeground); fill: var(--vscode-errorForeground); }
.mixed path:not(.hit), marker.mixed path { stroke: var(--vscode-editorWarning-foreground); fill: var(--vscode-editorWarning-foreground); }
.edge circle { stroke-width: 2.5; } .forwarded circle { stroke: var(--vscode-testing-iconPassed); } .dropped circle { stroke: var(--vscode-errorForeground); } .mixed circle { stroke: var(--vscode-editorWarning-foreground); }
.marker path { stroke: none; }
.legend span { margin-right: 14px; } .legend .forwarded { color: var(--vscode-testing-iconPassed); } .legend .dropped { color: var(--vscode-errorForeground); } .legend .mixed { color: var(--vscode-editorWarning-foreground); }
#empty { color: var(--vscode-descriptionForeground); }
</style></head><body>
<p class="legend"><span class="forwarded">━ forwarded</span><span class="dropped">━ dropped</span><span class="mixed">━ both</span> Click an edge to filter the flows.</p>
<p id="empty"></p><div id="graph"></div>
<script nonce="${nonce}">
const vscode = acquireVsCodeApi();
const graph = document.getElementById('graph');
window.addEventListener('message', (e) => {
  if (e.data.type !== 'render') return;
  graph.innerHTML = e.data.svg;
  document.getElementById('empty').textContent = e.data.empty;
});
const pick = (e) => { const g = e.target.closest('[data-edge]'); if (g) vscode.postMessage({ type: 'edge', index: Number(g.dataset.edge) }); };
graph.addEventListener('click', pick);
graph.addEventListener('keydown', (e) => { if (e.key === 'Enter') pick(e); });
vscode.postMessage({ type: 'ready' });
</script></body></html>`;
  }
}
