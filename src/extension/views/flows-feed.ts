/**
 * What the flows panel posts to its webview, from the host's flow ring:
 * everything on `reset` (the view opened, reloaded or the ring was cleared),
 * then whatever arrived since the last post, coalesced to at most one message
 * per interval (a frame-ish 16 ms) however the agent's batches come. Each
 * message is a slice of the ring as columns. No vscode import: the webview
 * benchmark runs this very code to feed the view.
 */
import type { FlowColumnRing } from '../../protocol/flow-column-ring';
import type { FlowsToWebview } from '../../protocol/webview-messages';

export const FEED_INTERVAL_MS = 16;

export class FlowFeed {
  /** Sequence number of the first flow the view has not been sent. */
  private sent: number;
  private timer?: ReturnType<typeof setTimeout>;

  constructor(private readonly ring: FlowColumnRing, private readonly post: (message: FlowsToWebview) => void, private readonly intervalMs = FEED_INTERVAL_MS) {
    this.sent = ring.end;
  }

  /** Sends the whole ring, replacing what the view holds. */
  reset(): void {
    this.cancel();
    this.post({ type: 'flows/reset', columns: this.ring.slice(), capacity: this.ring.capacity });
    this.sent = this.ring.end;
  }

  /** Flows were appended to the ring: post them with whatever else arrives within the interval. */
  appended(): void {
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  /** The retention changed: the view trims its ring the same way. */
  resized(): void {
    this.post({ type: 'flows/retention', capacity: this.ring.capacity });
  }

  flush(): void {
    this.cancel();
    // Flows that left the ring before they were sent (more than the retention within one interval) are skipped.
    const from = Math.max(this.sent, this.ring.base);
    this.sent = this.ring.end;
    if (from < this.ring.end) this.post({ type: 'flows/append', columns: this.ring.slice(from, this.ring.end) });
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
