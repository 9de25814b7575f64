/**
 * Flow events from the datapath to the client. Records arrive from the
 * datapath a batch at a time; the last few thousand are kept (recent-flows.ts)
 * so probes can look up their own flow, and while a client is subscribed they
 * are sent in one of three forms: `flows/batch` (FlowEvent objects),
 * `flows/batchCompact` (columns of JSON numbers) or `flows/batchPacked`
 * (typed columns in base64, built straight from the records by
 * packed-batch-builder.ts without an object per event: the form for high rates).
 * A notification goes every ~100 ms, or as soon as FLUSH_AT flows wait, so a
 * flood never has to wait for a timer that a busy event loop runs late. One
 * notification is in flight at a time (back-pressure from the transport);
 * what piles up beyond MAX_PENDING meanwhile is counted as lost, never
 * dropped silently.
 */
import type { FlowBatch, FlowBatchCompact, FlowBatchPacked } from '../../protocol/agent-rpc';
import { encodeCompactBatch } from '../../protocol/flow-compact';
import type { FlowEvent } from '../../protocol/flow-event';
import { decodeFlowRecord } from '../datapath/flow-decoder';
import type { Datapath, FlowRecordBatch } from '../datapath/types';
import { FlowColumnsBuilder } from './packed-batch-builder';
import type { FlowEnricher } from './flow-enricher';
import { RecentFlows } from './recent-flows';

export const BATCH_INTERVAL_MS = 100;
/** A client that stops reading must not make the agent grow without bound; the excess is reported as lost. */
const MAX_PENDING = 200_000;
/** Flows that make a notification worth sending before the timer fires. */
export const FLUSH_AT = 8192;
/** The packed form costs little per notification and much less per event: fewer, bigger ones. */
export const FLUSH_AT_PACKED = 32_768;

export type FlowForm = 'objects' | 'compact' | 'packed';

export interface FlowSenders {
  objects: (batch: FlowBatch) => void | Promise<void>;
  compact?: (batch: FlowBatchCompact) => void | Promise<void>;
  packed?: (batch: FlowBatchPacked) => void | Promise<void>;
}

export class FlowStream {
  private readonly recent: RecentFlows;
  /** Flows waiting for the next notification: objects (objects, compact) or columns (packed). */
  private pending: FlowEvent[] = [];
  private readonly columns: FlowColumnsBuilder;
  /** The notification being written, if any: the next one waits for it. */
  private sending: Promise<void> | undefined;
  private droppedHere = 0;
  private timer: NodeJS.Timeout | undefined;
  private source: { dispose(): void } | undefined;
  private datapath: Datapath | undefined;
  private waiters = new Set<() => void>();
  private form: FlowForm = 'objects';

  constructor(private readonly enricher: FlowEnricher, private readonly senders: FlowSenders) {
    this.recent = new RecentFlows(enricher);
    this.columns = new FlowColumnsBuilder(enricher);
  }

  attach(datapath: Datapath): void {
    this.detach();
    this.datapath = datapath;
    this.source = datapath.onFlowRecords
      ? datapath.onFlowRecords((batch) => this.pushRecords(batch))
      : datapath.onFlow((raw) => this.pushEvent(this.enricher.enrich(raw)));
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

  subscribe(form: FlowForm = 'objects'): void {
    if (this.timer && form !== this.form) this.sendPending(0);
    this.form = form;
    if (this.timer) return;
    this.pending = [];
    this.timer = setInterval(() => void this.flush(), BATCH_INTERVAL_MS);
  }

  unsubscribe(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.pending = [];
    if (this.columns.count > 0) this.columns.finish(0);
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

  private get pendingCount(): number {
    return this.form === 'packed' ? this.columns.count : this.pending.length;
  }

  private get flushAt(): number {
    return this.form === 'packed' ? FLUSH_AT_PACKED : FLUSH_AT;
  }

  private pushRecords(batch: FlowRecordBatch): void {
    this.recent.addRecords(batch);
    if (this.timer) {
      const room = Math.max(0, MAX_PENDING - this.pendingCount);
      let taken: number;
      if (this.form === 'packed') {
        taken = this.columns.append(batch, room);
      } else {
        taken = Math.min(room, batch.count);
        const view = new DataView(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength);
        for (let i = 0; i < taken; i++) this.pending.push(this.enricher.enrich(decodeFlowRecord(view, i * batch.size, batch.nowMs, batch.nowMonoMs)));
      }
      this.droppedHere += batch.count - taken;
      this.sendIfFull();
    }
    this.wake();
  }

  private pushEvent(ev: FlowEvent): void {
    this.recent.addEvent(ev);
    if (this.timer) {
      if (this.form === 'packed') this.droppedHere++; // a datapath without record batches cannot feed columns
      else if (this.pending.length < MAX_PENDING) this.pending.push(ev);
      else this.droppedHere++;
      this.sendIfFull();
    }
    this.wake();
  }

  private sendIfFull(): void {
    if (this.pendingCount >= this.flushAt && !this.sending) this.sendPending(0);
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
    if (this.pendingCount === 0 && lost === 0) return;
    const sent = Promise.resolve(this.sendForm(lost)).catch(() => undefined);
    this.sending = sent;
    void sent.then(() => {
      if (this.sending === sent) this.sending = undefined;
      // What piled up while this one was written goes now rather than at the next tick.
      if (this.timer) this.sendIfFull();
    });
  }

  private sendForm(lost: number): void | Promise<void> {
    if (this.form === 'packed') return this.senders.packed?.(this.columns.finish(lost));
    const flows = this.pending;
    this.pending = [];
    if (this.form === 'compact') return this.senders.compact?.(encodeCompactBatch(flows, lost));
    return this.senders.objects({ flows, lost });
  }
}
