/**
 * The service map: workloads as nodes, observed flows as edges colored by
 * verdict (green forwarded, red dropped, amber both). The host builds the
 * graph from the lab and the flow ring and sends it (serviceMap/graph);
 * media/service-map/ draws it as SVG (no graph library: a ring layout of a
 * lab's few workloads needs none). Clicking an edge opens the flows view
 * filtered to that pair.
 */
import { Coalesced } from '../editor/coalesce';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { FlowEvent } from '../../protocol/flow-event';
import type { ServiceMapEdge, ServiceMapFromWebview, ServiceMapGraph, ServiceMapToWebview } from '../../protocol/webview-messages';
import { webviewHtml, webviewOptions } from './webview-html';

const short = (w: string): string => w.replace(/^default\//, '');

/** Nodes from the lab and both ends of every flow; one edge per (source, destination). Pure. */
export function buildGraph(workloads: readonly string[], flows: Iterable<FlowEvent>): ServiceMapGraph {
  const nodes = new Set(workloads.map(short));
  const edges = new Map<string, ServiceMapEdge>();
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

export class ServiceMapPanel {
  static readonly viewType = 'policyStudio.serviceMap';
  private static current?: ServiceMapPanel;
  private graph: ServiceMapGraph = { nodes: [], edges: [] };
  private readonly refresher = new Coalesced(() => this.update());
  private readonly subscriptions: vscode.Disposable[] = [];

  private constructor(private readonly ctx: Ctx, private readonly panel: vscode.WebviewPanel) {
    panel.webview.options = webviewOptions(ctx.extension.extensionUri);
    this.subscriptions.push(
      ctx.flows.onDidAppend(() => this.schedule()),
      ctx.flows.onDidClear(() => this.schedule()),
      panel.webview.onDidReceiveMessage((m: ServiceMapFromWebview) => {
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
    panel.webview.html = webviewHtml(panel.webview, ctx.extension.extensionUri, 'service-map', 'Service Map', '<div id="app"></div>');
  }

  static show(ctx: Ctx): ServiceMapPanel {
    if (ServiceMapPanel.current) ServiceMapPanel.current.panel.reveal();
    else ServiceMapPanel.current = new ServiceMapPanel(ctx, vscode.window.createWebviewPanel(ServiceMapPanel.viewType, 'Service Map', vscode.ViewColumn.Beside, webviewOptions(ctx.extension.extensionUri)));
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
    const message: ServiceMapToWebview = { type: 'serviceMap/graph', graph: this.graph, empty };
    void this.panel.webview.postMessage(message);
  }
}
