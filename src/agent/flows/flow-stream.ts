/**
 * Flow events from the datapath to the client. Records arrive from the
 * datapath a batch at a time; the last few thousand are kept (recent-flows.ts)
 * so probes can look up their own flow, and while a client is subscribed they
 * go into flow columns (packed-batch-builder.ts, no object per event) and are
 * sent as flows/batchPacked, the one wire form of flows.
 * A notification goes every ~100 ms, or as soon as FLUSH_AT flows wait, so a
 * flood never has to wait for a timer that a busy event loop runs late. One
 * notification is in flight at a time (back-pressure from the transport);
 * what piles up beyond MAX_PENDING meanwhile is counted as lost, never
 * dropped silently.
 */
import type { FlowBatchPacked } from '../../protocol/agent-rpc';
import type { FlowEvent } from '../../protocol/flow-event';
import type { Datapath, FlowRecordBatch } from '../datapath';
import { FlowColumnsBuilder } from './packed-batch-builder';
import type { FlowEnricher } from './flow-enricher';
import { RecentFlows } from './recent-flows';

export const BATCH_INTERVAL_MS = 100;
/** A client that stops reading must not make the agent grow without bound; the excess is reported as lost. */
const MAX_PENDING = 200_000;
/** Flows that make a notification worth sending before the timer fires: a packed batch costs little per notification, much less per event. */
export const FLUSH_AT = 32_768;

/** Sends one flows/batchPacked notification; a promise, when returned, says when it is written (back-pressure). */
export type FlowSender = (batch: FlowBatchPacked) => void | Promise<void>;

export class FlowStream {
  private readonly recent: RecentFlows;
  /** Flows waiting for the next notification. */
  private readonly columns: FlowColumnsBuilder;
  /** The notification being written, if any: the next one waits for it. */
  private sending: Promise<void> | undefined;
  private droppedHere = 0;
  private timer: NodeJS.Timeout | undefined;
  private source: { dispose(): void } | undefined;
  private datapath: Datapath | undefined;
  private waiters = new Set<() => void>();

  constructor(enricher: FlowEnricher, private readonly send: FlowSender) {
    this.recent = new RecentFlows(enricher);
    this.columns = new FlowColumnsBuilder(enricher);
  }

  attach(datapath: Datapath): void {
    this.detach();
    this.datapath = datapath;
    this.source = datapath.onFlowRecords((batch) => this.pushRecords(batch));
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
    this.timer = setInterval(() => void this.flush(), BATCH_INTERVAL_MS);
  }

  unsubscribe(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.columns.clear();
    this.droppedHere = 0;
  }

  /** Flows seen since `sinceMs` (wall clock) that satisfy `match`. */
  find(sinceMs: number, match: (f: FlowEvent) => boolean): FlowEvent[] {
    return this.recent.find(sinceMs, match);
  }

  /** Resolves when a new flow arrives or after `ms`, whichever is first. */
  waitForNext(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => { clearTimeout(t); this.waiters.delete(done); resolve(); };
      const t = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  private pushRecords(batch: FlowRecordBatch): void {
    this.recent.addRecords(batch);
    if (this.timer) {
      const taken = this.columns.append(batch, Math.max(0, MAX_PENDING - this.columns.count));
      this.droppedHere += batch.count - taken;
      this.sendIfFull();
    }
    this.wake();
  }

  private sendIfFull(): void {
    if (this.columns.count >= FLUSH_AT && !this.sending) this.sendPending(0);
  }

  private wake(): void {
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
    if (this.columns.count === 0 && lost === 0) return;
    const sent = Promise.resolve(this.send(this.columns.finish(lost))).catch(() => undefined);
    this.sending = sent;
    void sent.then(() => {
      if (this.sending === sent) this.sending = undefined;
      // What piled up while this one was written goes now rather than at the next tick.
      if (this.timer) this.sendIfFull();
    });
  }
}
