/**
 * The flows view's shown rows: an ascending index of the sequence numbers of
 * the retained flows (FlowColumnRing) that the filter shows, kept
 * incrementally as flows arrive and leave. Pure, so unit tests use it.
 */

/** Ascending sequence numbers in a fixed ring (a Float64Array: no per-entry objects, exact up to 2^53). */
export class SeqIndex {
  private readonly seqs: Float64Array;
  private head = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.seqs = new Float64Array(capacity);
  }

  get length(): number { return this.size; }

  /** Appends a sequence number greater than every one held. */
  push(seq: number): void {
    if (this.size === this.capacity) this.dropFront(1);
    this.seqs[(this.head + this.size) % this.capacity] = seq;
    this.size++;
  }

  /** The `i`-th held sequence number, oldest first. */
  at(i: number): number {
    return this.seqs[(this.head + i) % this.capacity];
  }

  /** Forgets the sequence numbers below `seq` (their flows left the ring); returns how many. */
  dropBelow(seq: number): number {
    let n = 0;
    while (n < this.size && this.at(n) < seq) n++;
    this.dropFront(n);
    return n;
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
  }

  private dropFront(n: number): void {
    this.head = (this.head + n) % this.capacity;
    this.size -= n;
  }
}
