/**
 * The service map graph as SVG (lit `svg` templates, so every label is
 * escaped): nodes on a circle, curved edges with arrowheads and port labels,
 * each direction bent to its own side so A→B and B→A do not overlap.
 */
import { svg, type TemplateResult } from 'lit';
import type { ServiceMapEdge, ServiceMapGraph } from '../../src/protocol/webview-messages';

type EdgeVerdict = 'forwarded' | 'dropped' | 'mixed';

function edgeVerdict(e: ServiceMapEdge): EdgeVerdict {
  return e.dropped && e.forwarded ? 'mixed' : e.dropped ? 'dropped' : 'forwarded';
}

/** Where each node sits on the circle. */
function layout(nodes: readonly string[], size: number): Map<string, { x: number; y: number }> {
  const c = size / 2;
  const r = nodes.length > 1 ? size / 2 - 70 : 0;
  return new Map(nodes.map((n, i) => {
    const a = (2 * Math.PI * i) / nodes.length - Math.PI / 2;
    return [n, { x: c + r * Math.cos(a), y: c + r * Math.sin(a) }];
  }));
}

function edge(e: ServiceMapEdge, i: number, at: Map<string, { x: number; y: number }>): TemplateResult {
  const a = at.get(e.from)!;
  const b = at.get(e.to)!;
  const verdict = edgeVerdict(e);
  const label = `${e.ports.join(', ')} · ${e.forwarded}✓ ${e.dropped}✕`;
  if (a === b) {
    return svg`<g class=${`edge ${verdict}`} data-edge=${i} tabindex="0"><title>${e.from} → ${e.to}: ${label}</title><circle cx=${a.x} cy=${a.y - 38} r="16" fill="none"/><text x=${a.x} y=${a.y - 60}>${label}</text></g>`;
  }
  const dx = b.x - a.x; const dy = b.y - a.y; const len = Math.hypot(dx, dy) || 1;
  const ux = dx / len; const uy = dy / len;
  // Stop short of the node circles.
  const sx = a.x + ux * 30; const sy = a.y + uy * 30; const tx = b.x - ux * 34; const ty = b.y - uy * 34;
  const mx = (sx + tx) / 2 - uy * 28; const my = (sy + ty) / 2 + ux * 28;
  const d = `M${sx.toFixed(1)},${sy.toFixed(1)} Q${mx.toFixed(1)},${my.toFixed(1)} ${tx.toFixed(1)},${ty.toFixed(1)}`;
  return svg`<g class=${`edge ${verdict}`} data-edge=${i} tabindex="0"><title>${e.from} → ${e.to}: ${label} — click to filter the flows</title>
    <path d=${d} marker-end=${`url(#arrow-${verdict})`}/><path class="hit" d=${d}/>
    <text x=${mx.toFixed(1)} y=${(my - 4).toFixed(1)}>${label}</text></g>`;
}

export function graphSvg(graph: ServiceMapGraph, size = 560): TemplateResult {
  const at = layout(graph.nodes, size);
  const marker = (v: EdgeVerdict) => svg`<marker id=${`arrow-${v}`} class=${v} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker>`;
  return svg`<svg id="map" viewBox=${`0 0 ${size} ${size}`} role="img" aria-label="Service map">
    <defs>${marker('forwarded')}${marker('dropped')}${marker('mixed')}</defs>
    ${graph.edges.map((e, i) => edge(e, i, at))}
    ${graph.nodes.map((n) => { const p = at.get(n)!; return svg`<g class="node" data-node=${n}><circle cx=${p.x.toFixed(1)} cy=${p.y.toFixed(1)} r="26"/><text x=${p.x.toFixed(1)} y=${(p.y + 4).toFixed(1)}>${n}</text></g>`; })}
  </svg>`;
}
