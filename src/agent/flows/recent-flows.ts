/**
 * The last few thousand flows, for probes that look up the event of their
 * own connection. At a flood's rate almost none of them is ever looked at,
 * so records are kept as bytes (one copy per batch) and decoded and enriched
 * only when someone searches, once per slot.
 */
import type { FlowEvent } from '../../protocol/flow-event';
import { decodeFlowRecord } from '../datapath/flow-decoder';
import { FlowEventLayout } from '../datapath/layouts';
import type { FlowRecordBatch } from '../datapath/types';
import type { FlowEnricher } from './flow-enricher';

const RECORD = FlowEventLayout.size;

export class RecentFlows {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  /** Per slot: the wall and monotonic clock of its batch, for its time. */
  private readonly nowMs: Float64Array;
  private readonly nowMonoMs: Float64Array;
  /** Per slot: the event, once decoded (or pushed as one). */
  private readonly events: (FlowEvent | undefined)[];
  private next = 0;
  private size = 0;

  constructor(private readonly enricher: FlowEnricher, readonly capacity = 4096) {
    this.bytes = new Uint8Array(capacity * RECORD);
    this.view = new DataView(this.bytes.buffer);
    this.nowMs = new Float64Array(capacity);
    this.nowMonoMs = new Float64Array(capacity);
    this.events = new Array<FlowEvent | undefined>(capacity);
  }

  /** Keeps the batch's last `capacity` records. */
  addRecords(batch: FlowRecordBatch): void {
    const first = Math.max(0, batch.count - this.capacity);
    for (let i = first; i < batch.count;) {
      // Contiguous runs up to the ring's end: one copy each.
      const run = Math.min(batch.count - i, this.capacity - this.next);
      if (batch.size === RECORD) {
        this.bytes.set(batch.data.subarray(i * RECORD, (i + run) * RECORD), this.next * RECORD);
      } else {
        for (let k = 0; k < run; k++) this.bytes.set(batch.data.subarray((i + k) * batch.size, (i + k) * batch.size + RECORD), (this.next + k) * RECORD);
      }
      this.nowMs.fill(batch.nowMs, this.next, this.next + run);
      this.nowMonoMs.fill(batch.nowMonoMs, this.next, this.next + run);
      this.events.fill(undefined, this.next, this.next + run);
      this.advance(run);
      i += run;
    }
  }

  /** Keeps an event that arrived decoded (a datapath without record batches). */
  addEvent(ev: FlowEvent): void {
    this.events[this.next] = ev;
    this.advance(1);
  }

  /** Flows since `sinceMs` (wall clock) that satisfy `match`, oldest first. */
  find(sinceMs: number, match: (f: FlowEvent) => boolean): FlowEvent[] {
    const out: FlowEvent[] = [];
    const oldest = this.size < this.capacity ? 0 : this.next;
    for (let k = 0; k < this.size; k++) {
      const slot = (oldest + k) % this.capacity;
      let ev = this.events[slot];
      if (ev === undefined) {
        ev = this.enricher.enrich(decodeFlowRecord(this.view, slot * RECORD, this.nowMs[slot]!, this.nowMonoMs[slot]!));
        this.events[slot] = ev;
      }
      if (ev.time >= sinceMs && match(ev)) out.push(ev);
    }
    return out;
  }

  private advance(n: number): void {
    this.next = (this.next + n) % this.capacity;
    this.size = Math.min(this.capacity, this.size + n);
  }
}
