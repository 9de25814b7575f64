/**
 * The flows view's retained rows without copying: a fixed-capacity ring of
 * flows addressed by sequence number (the oldest is dropped as a new one
 * arrives), and an ascending index of the sequence numbers the filter shows,
 * kept incrementally as flows arrive and leave. Pure, so unit tests use it.
 */

/** Flows (or anything) by sequence number; `base` is the oldest retained. */
export class SeqRing<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private size = 0;
  /** Sequence number of the oldest retained item. */
  base = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }

  get length(): number { return this.size; }
  /** Sequence number the next pushed item gets. */
  get end(): number { return this.base + this.size; }

  /** Appends an item, evicting the oldest when full; returns its sequence number. */
  push(item: T): number {
    const seq = this.base + this.size;
    if (this.size < this.capacity) {
      this.items[(this.start + this.size) % this.capacity] = item;
      this.size++;
    } else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
      this.base++;
    }
    return seq;
  }

  /** The item with sequence number `seq`, or undefined when evicted or not yet seen. */
  at(seq: number): T | undefined {
    const offset = seq - this.base;
    return offset >= 0 && offset < this.size ? this.items[(this.start + offset) % this.capacity] : undefined;
  }

  clear(): void {
    this.items.fill(undefined);
    this.start = 0;
    this.size = 0;
    this.base = 0;
  }
}

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
