/**
 * Flow events from the datapath to the client: every event is enriched once,
 * kept in a short ring (probes look their own flow up there) and, while a
 * client is subscribed, sent as one `flows/batch` notification every ~100 ms
 * instead of one message per packet.
 */
import type { FlowBatch } from '../protocol/agent-rpc';
import type { FlowEvent } from '../protocol/flow-event';
import type { Datapath } from './datapath/types';
import type { FlowEnricher } from './flow-enricher';

export const BATCH_INTERVAL_MS = 100;
const RECENT_CAPACITY = 4096;
/** A client that stops reading must not make the agent grow without bound; the excess is reported as lost. */
const MAX_PENDING = 50_000;

export class FlowStream {
  private recent: FlowEvent[] = [];
  private pending: FlowEvent[] = [];
  private droppedHere = 0;
  private timer: NodeJS.Timeout | undefined;
  private source: { dispose(): void } | undefined;
  private datapath: Datapath | undefined;
  private waiters = new Set<() => void>();

  constructor(private readonly enricher: FlowEnricher, private readonly send: (batch: FlowBatch) => void) {}

  attach(datapath: Datapath): void {
    this.detach();
    this.datapath = datapath;
    this.source = datapath.onFlow((raw) => this.push(this.enricher.enrich(raw)));
  }

  detach(): void {
    this.source?.dispose();
    this.source = undefined;
    this.datapath = undefined;
  }

  /** Is a datapath feeding this stream? Without one no flow will ever come. */
  get attached(): boolean {
    return this.source !== undefined;
  }

  get subscribed(): boolean {
    return this.timer !== undefined;
  }

  subscribe(): void {
    if (this.timer) return;
    this.pending = [];
    this.timer = setInterval(() => void this.flush(), BATCH_INTERVAL_MS);
  }

  unsubscribe(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.pending = [];
  }

  /** Flows seen since `sinceMs` (wall clock) that satisfy `match`. */
  find(sinceMs: number, match: (f: FlowEvent) => boolean): FlowEvent[] {
    return this.recent.filter((f) => f.time >= sinceMs && match(f));
  }

  /** Resolves when a new flow arrives or after `ms`, whichever is first. */
  waitForNext(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => { clearTimeout(t); this.waiters.delete(done); resolve(); };
      const t = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  private push(ev: FlowEvent): void {
    this.recent.push(ev);
    if (this.recent.length > RECENT_CAPACITY) this.recent.splice(0, this.recent.length - RECENT_CAPACITY);
    if (this.timer) {
      if (this.pending.length < MAX_PENDING) this.pending.push(ev);
      else this.droppedHere++;
    }
    for (const w of [...this.waiters]) w();
  }

  private async flush(): Promise<void> {
    let lost = this.droppedHere;
    this.droppedHere = 0;
    if (this.datapath) {
      try {
        lost += await this.datapath.takeLostCount();
      } catch { /* the datapath may be closing; nothing to count */ }
    }
    if (this.pending.length === 0 && lost === 0) return;
    const flows = this.pending;
    this.pending = [];
    this.send({ flows, lost });
  }
}
