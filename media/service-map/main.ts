/**
 * Service map webview front end: draws the graph the host sends
 * (serviceMap/graph) and posts the edge a user clicks or presses Enter on.
 */
import { html, render } from 'lit';
import type { ServiceMapFromWebview, ServiceMapToWebview } from '../../src/protocol/webview-messages';
import { hostChannel } from '../shared/vscode-api';
import { graphSvg } from './graph-svg';

const host = hostChannel<ServiceMapFromWebview, ServiceMapToWebview, Record<string, never>>();
const app = document.getElementById('app') as HTMLElement;

const pick = (e: Event): void => {
  const g = (e.target as Element).closest('[data-edge]') as SVGGElement | null;
  if (g) host.post({ type: 'edge', index: Number(g.dataset.edge) });
};

host.onMessage((m) => {
  if (m.type !== 'serviceMap/graph') return;
  render(html`
    <p class="legend"><span class="forwarded">━ forwarded</span><span class="dropped">━ dropped</span><span class="mixed">━ both</span> Click an edge to filter the flows.</p>
    <p id="empty">${m.empty}</p>
    <div id="graph" @click=${pick} @keydown=${(e: KeyboardEvent) => { if (e.key === 'Enter') pick(e); }}>${graphSvg(m.graph)}</div>`, app);
});
host.post({ type: 'ready' });
