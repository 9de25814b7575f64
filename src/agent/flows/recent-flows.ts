/**
 * The last few thousand flows, for probes that look up the event of their
 * own connection. At a flood's rate almost none of them is ever looked at,
 * so records are kept as bytes (one copy per batch) and turned into columns
 * — by the same builder as the stream, so a probe's flow says what the
 * Flows view says — only when someone searches, once per record. Only the
 * flows a search returns become objects.
 */
import { FlowColumnRing } from '../../protocol/flow-column-ring';
import { FlowCursor } from '../../protocol/flow-cursor';
import type { FlowEvent } from '../../protocol/flow-event';
import type { FlowRecordBatch } from '../datapath';
import type { FlowEnricher } from './flow-enricher';
import { FlowColumnsBuilder } from './packed-batch-builder';

export class RecentFlows {
  /** Record batches (copies) not searched yet, oldest first, holding at most about `capacity` records. */
  private waiting: FlowRecordBatch[] = [];
  private waitingCount = 0;
  private readonly builder: FlowColumnsBuilder;
  private readonly ring: FlowColumnRing;
  private readonly cursor: FlowCursor;

  constructor(enricher: FlowEnricher, readonly capacity = 4096) {
    this.builder = new FlowColumnsBuilder(enricher, capacity);
    this.ring = new FlowColumnRing(capacity);
    this.cursor = new FlowCursor(this.ring);
  }

  /** Keeps the batch's last `capacity` records (the loader's buffer is not ours to hold). */
  addRecords(batch: FlowRecordBatch): void {
    const first = Math.max(0, batch.count - this.capacity);
    const count = batch.count - first;
    this.waiting.push({ ...batch, data: batch.data.slice(first * batch.size, batch.count * batch.size), count });
    this.waitingCount += count;
    // Older batches the newer ones already push out of the ring are let go unread.
    while (this.waitingCount - this.waiting[0]!.count >= this.capacity) this.waitingCount -= this.waiting.shift()!.count;
  }

  /** Flows since `sinceMs` (wall clock) that satisfy `match`, oldest first. */
  find(sinceMs: number, match: (f: FlowEvent) => boolean): FlowEvent[] {
    for (const batch of this.waiting) {
      this.builder.append(batch);
      this.ring.append(this.builder.takeColumns());
    }
    this.waiting = [];
    this.waitingCount = 0;
    const out: FlowEvent[] = [];
    const times = this.ring.columns.time;
    for (let seq = this.ring.base; seq < this.ring.end; seq++) {
      if (times[this.ring.slotOf(seq)]! < sinceMs) continue;
      if (match(this.cursor.at(seq)!)) out.push(this.ring.event(seq)!);
    }
    return out;
  }
}
