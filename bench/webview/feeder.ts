/**
 * The benchmark's stand-in for the extension host, run in a Web Worker of the
 * benchmark page so its work stays off the view's main thread (the host is
 * another process in VS Code). Messages reach the view as structured clones,
 * as through VS Code's webview channel.
 *
 * `columns`: this tree's host path: each agent batch goes into the host's
 * ring (what FlowStore.append does) and the panel's own FlowFeed posts
 * columnar slices, coalesced per frame-ish interval. `objects`: the host of
 * the trees before it (flow objects, one message per 150 ms), to measure a
 * baseline revision's front end.
 */
import { FlowColumnRing } from '../../src/protocol/flow-column-ring';
import { encodeFlowColumns } from '../../src/protocol/flow-columns';
import type { FlowEvent } from '../../src/protocol/flow-event';
import { FlowFeed } from '../../src/extension/views/flows-feed';

export interface StreamRequest { mode: 'columns' | 'objects'; from: number; count: number; batch: number; intervalMs: number }

const WORKLOADS = ['default/frontend', 'default/backend', 'default/db', 'shop/cart', 'shop/payments', 'world'];
const PORTS = [80, 443, 5432, 8080, 53];

/** Synthetic flows: one in seven dropped, a new source IP for most, six workloads, forty rules. */
function makeFlows(start: number, n: number): FlowEvent[] {
  const out: FlowEvent[] = [];
  for (let i = start; i < start + n; i++) {
    const dropped = i % 7 === 0;
    const src = WORKLOADS[i % WORKLOADS.length]!;
    const dst = WORKLOADS[(i * 3 + 1) % WORKLOADS.length]!;
    const port = PORTS[i % 5]!;
    out.push({
      time: Date.now(), verdict: dropped ? 'dropped' : 'forwarded', dropReason: dropped ? 133 : 0, dropReasonText: dropped ? 'Policy denied' : undefined,
      direction: i % 2 ? 'ingress' : 'egress', endpoint: `${dst}-0`, protocol: i % 5 ? 'tcp' : 'udp',
      src: { ip: `10.244.${(i >> 8) & 255}.${i & 255}`, port: 30000 + (i % 30000), identity: 256 + (i % 6), workload: src },
      dst: { ip: `10.244.1.${i % 250}`, port, identity: 256 + ((i * 3 + 1) % 6), workload: dst },
      match: dropped ? 'default-deny' : 'policy', cookie: 1000 + (i % 40), ruleId: `default/p${i % 40}/ingress/0`,
      ruleText: dropped ? undefined : `allow from app == "${src.split('/')[1]}" to port ${port}/tcp`,
      policyId: dropped ? 'default/db-ingress' : undefined, tcpFlags: 'SYN', length: 74,
    });
  }
  return out;
}

const post = (message: unknown): void => (self as unknown as Worker).postMessage(message);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The host's ring and the panel's feed, as in the extension (capacity: the default retention). */
const ring = new FlowColumnRing(100_000);
const feed = new FlowFeed(ring, post);

async function stream({ mode, from, count, batch, intervalMs }: StreamRequest): Promise<void> {
  for (let sent = 0; sent < count; sent += batch) {
    const flows = makeFlows(from + sent, Math.min(batch, count - sent));
    if (mode === 'columns') { ring.append(encodeFlowColumns(flows)); feed.appended(); }
    else post({ type: 'flows/append', flows });
    await sleep(intervalMs);
  }
  feed.flush();
  post({ type: 'bench/done' });
}

self.onmessage = (event: MessageEvent<StreamRequest>) => { void stream(event.data); };
