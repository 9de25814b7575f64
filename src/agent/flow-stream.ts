/**
 * Flow events from the datapath to the client: every event is enriched once,
 * kept in a short ring (probes look their own flow up there) and, while a
 * client is subscribed, sent as `flows/batch` notifications: every ~100 ms,
 * or as soon as FLUSH_AT flows wait, so a flood never has to wait for a
 * timer that a busy event loop runs late. One notification is in flight at a
 * time (back-pressure from the transport); what piles up beyond MAX_PENDING
 * meanwhile is counted as lost, never dropped silently.
 */
import type { FlowBatch, FlowBatchCompact } from '../protocol/agent-rpc';
import { encodeCompactBatch } from '../protocol/flow-compact';
import type { FlowEvent } from '../protocol/flow-event';
import type { Datapath } from './datapath/types';
import type { FlowEnricher } from './flow-enricher';

export const BATCH_INTERVAL_MS = 100;
const RECENT_CAPACITY = 4096;
/** A client that stops reading must not make the agent grow without bound; the excess is reported as lost. */
const MAX_PENDING = 200_000;
/** Flows that make a notification worth sending before the timer fires. */
export const FLUSH_AT = 8192;

export class FlowStream {
  /** A ring of the last RECENT_CAPACITY flows; `recentNext` is where the next one goes. */
  private recent: FlowEvent[] = [];
  private recentNext = 0;
  private pending: FlowEvent[] = [];
  /** The notification being written, if any: the next one waits for it. */
  private sending: Promise<void> | undefined;
  private droppedHere = 0;
  private timer: NodeJS.Timeout | undefined;
  private source: { dispose(): void } | undefined;
  private datapath: Datapath | undefined;
  private waiters = new Set<() => void>();
  /** The subscriber asked for flows/batchCompact (columns) instead of flows/batch. */
  private compact = false;

  constructor(
    private readonly enricher: FlowEnricher,
    private readonly send: (batch: FlowBatch) => void | Promise<void>,
    private readonly sendCompact: (batch: FlowBatchCompact) => void | Promise<void> = () => undefined,
  ) {}

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

  subscribe(compact = false): void {
    this.compact = compact;
    if (this.timer) return;
    this.pending = [];
    this.timer = setInterval(() => void this.flush(), BATCH_INTERVAL_MS);
  }

  unsubscribe(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.pending = [];
    this.droppedHere = 0;
  }

  /** Flows seen since `sinceMs` (wall clock) that satisfy `match`. */
  find(sinceMs: number, match: (f: FlowEvent) => boolean): FlowEvent[] {
    const n = this.recent.length;
    const out: FlowEvent[] = [];
    // Oldest first: the ring's oldest entry is where the next one goes.
    for (let i = 0; i < n; i++) {
      const f = this.recent[(this.recentNext + i) % n]!;
      if (f.time >= sinceMs && match(f)) out.push(f);
    }
    return out;
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
    if (this.recent.length < RECENT_CAPACITY) this.recent.push(ev);
    else this.recent[this.recentNext] = ev;
    this.recentNext = (this.recentNext + 1) % RECENT_CAPACITY;
    if (this.timer) {
      if (this.pending.length < MAX_PENDING) this.pending.push(ev);
      else this.droppedHere++;
      if (this.pending.length >= FLUSH_AT && !this.sending) this.sendPending(0);
    }
    if (this.waiters.size > 0) for (const w of [...this.waiters]) w();
  }

  private async flush(): Promise<void> {
    let lost = 0;
    if (this.datapath) {
      try {
        lost += await this.datapath.takeLostCount();
      } catch { /* the datapath may be closing; nothing to count */ }
    }
    if (!this.timer) return;
    if (this.sending) {
      // A notification is still being written: its successor carries this loss.
      this.droppedHere += lost;
      return;
    }
    this.sendPending(lost);
  }

  private sendPending(lost: number): void {
    lost += this.droppedHere;
    this.droppedHere = 0;
    if (this.pending.length === 0 && lost === 0) return;
    const flows = this.pending;
    this.pending = [];
    const sent = Promise.resolve(this.compact ? this.sendCompact(encodeCompactBatch(flows, lost)) : this.send({ flows, lost })).catch(() => undefined);
    this.sending = sent;
    void sent.then(() => {
      if (this.sending === sent) this.sending = undefined;
      // What piled up while this one was written goes now rather than at the next tick.
      if (this.timer && this.pending.length >= FLUSH_AT) this.sendPending(0);
    });
  }
}
