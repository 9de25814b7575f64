/**
 * The newest `capacity` flows as columns, addressed by sequence number: the
 * ring both the extension host (FlowStore) and the flows webview keep. A
 * flow costs about 85 bytes of typed arrays and no object, so 100,000
 * retained flows are a few typed arrays instead of 300,000 objects for the
 * collector to trace. Strings live once in the ring's own table (a batch's
 * string indices are remapped on arrival); the table is compacted when values
 * no flow uses any more (old IPs) have piled up. Pure: no DOM, no vscode.
 */
import type { FlowEndpoint, FlowEvent } from './flow-event';
import {
  allocateColumns, COLUMN_NAMES, NUMBER_COLUMNS, OPTIONAL_NUMBER_ENTRIES, OPTIONAL_STRING_FIELDS, STRING_COLUMNS,
  type FlowColumnArrays, type FlowColumnBatch, type NumberColumn,
} from './flow-columns';
import { Interner } from './interner';
import type { SourceLocation } from './policy-ir';

/** What the ring does with any column: copy ranges in and out. */
interface AnyColumn { [i: number]: number; readonly length: number; set(a: ArrayLike<number>, offset?: number): void; subarray(begin: number, end?: number): AnyColumn }

const NUMBER_NAMES = Object.keys(NUMBER_COLUMNS) as NumberColumn[];
/** The smallest allocation: the ring grows by doubling up to its capacity, so an idle view holds little. */
const MIN_ALLOCATION = 1024;
/** Compact the string table once it holds this many more values than were live at the last compaction. */
const MIN_COMPACT_SLACK = 65_536;

const sourceKey = (s: SourceLocation): string =>
  `${s.uri}#${s.range.start.line}:${s.range.start.character}-${s.range.end.line}:${s.range.end.character}`;

export class FlowColumnRing {
  private cols: FlowColumnArrays = allocateColumns(0);
  private allocated = 0;
  /** Slot of the oldest flow. Invariant: 0 until the ring is full (growth and rebuilds keep it so). */
  private start = 0;
  private size = 0;
  /** Sequence number of the oldest retained flow; never goes back (a clear moves it to `end`). */
  base = 0;
  /** Distinct strings of the retained flows, by id. */
  strings: string[] = [];
  private stringIds = new Map<string, number>();
  readonly sources: SourceLocation[] = [];
  private readonly sourceIds = new Map<string, number>();
  private compactAt = MIN_COMPACT_SLACK;
  /** Bumped when string ids change meaning (compaction, clear), for caches keyed by id. */
  generation = 0;

  constructor(public capacity: number) {}

  get length(): number { return this.size; }
  /** Sequence number the next flow gets. */
  get end(): number { return this.base + this.size; }
  /** The live columns: valid until the next append, resize or clear. Index them with `slotOf`. */
  get columns(): Readonly<FlowColumnArrays> { return this.cols; }

  /** Where flow `seq` is in the columns, or -1 when it left the ring or has not arrived. */
  slotOf(seq: number): number {
    const offset = seq - this.base;
    if (offset < 0 || offset >= this.size) return -1;
    const slot = this.start + offset;
    return slot < this.allocated ? slot : slot - this.allocated;
  }

  stringAt(id: number): string | undefined {
    return id < 0 ? undefined : this.strings[id];
  }

  /** Appends a batch (the oldest flows leave when full); returns how many left. */
  append(batch: FlowColumnBatch): number {
    const ids = new Int32Array(batch.strings.length);
    for (let i = 0; i < ids.length; i++) ids[i] = this.internString(batch.strings[i]!);
    const sourceIds = new Int32Array(batch.sources.length);
    for (let i = 0; i < sourceIds.length; i++) sourceIds[i] = this.internSource(batch.sources[i]!);
    let evicted = 0;
    for (let row = 0; row < batch.count;) {
      let slot: number;
      let n: number;
      if (this.size < this.capacity) {
        n = Math.min(batch.count - row, this.capacity - this.size);
        this.reserve(this.size + n);
        slot = this.size;
        this.size += n;
      } else {
        n = Math.min(batch.count - row, this.capacity - this.start);
        slot = this.start;
        this.start = (this.start + n) % this.capacity;
        this.base += n;
        evicted += n;
      }
      this.copyIn(batch, row, n, slot, ids, sourceIds);
      row += n;
    }
    if (this.strings.length > this.compactAt) this.compactStrings();
    return evicted;
  }

  /** The flows from `from` to `to` (sequence numbers, end exclusive) as a batch with its own string table. */
  slice(from = this.base, to = this.end): FlowColumnBatch {
    from = Math.max(from, this.base);
    to = Math.min(to, this.end);
    const n = Math.max(0, to - from);
    const out = allocateColumns(n);
    const runs = this.runs(from, n);
    for (const name of NUMBER_NAMES) {
      const target = out[name] as AnyColumn;
      let at = 0;
      for (const [slot, len] of runs) { target.set((this.cols[name] as AnyColumn).subarray(slot, slot + len), at); at += len; }
    }
    // The slice carries only the strings and sources its flows use, renumbered.
    const strings = new Interner<string>();
    const sources = new Interner<SourceLocation>();
    const localId = (id: number): number => (id < 0 ? -1 : strings.of(this.strings[id]));
    const localSource = (id: number): number => (id < 0 ? -1 : sources.of(this.sources[id]));
    for (const name of [...STRING_COLUMNS, 'source'] as const) {
      const source = this.cols[name];
      const target = out[name];
      const map = name === 'source' ? localSource : localId;
      let at = 0;
      for (const [slot, len] of runs) for (let k = 0; k < len; k++) target[at++] = map(source[slot + k]!);
    }
    return { ...out, count: n, strings: strings.items, sources: sources.items };
  }

  /** Flow `seq` as an object (details, export, consumers that want objects), or undefined when not retained. */
  event(seq: number): FlowEvent | undefined {
    const i = this.slotOf(seq);
    if (i < 0) return undefined;
    const c = this.cols;
    const s = (column: Int32Array): string | undefined => this.stringAt(column[i]!);
    const peer = (ip: Int32Array, port: Uint16Array, identity: Uint32Array, workload: Int32Array): FlowEndpoint => {
      const e: FlowEndpoint = { ip: s(ip)!, port: port[i]!, identity: identity[i]! };
      const w = s(workload);
      if (w !== undefined) e.workload = w;
      return e;
    };
    const flow: FlowEvent = {
      time: c.time[i]!, verdict: c.verdict[i] ? 'dropped' : 'forwarded', dropReason: c.dropReason[i]!,
      direction: c.direction[i] ? 'egress' : 'ingress', protocol: s(c.protocol)!,
      src: peer(c.srcIp, c.srcPort, c.srcIdentity, c.srcWorkload), dst: peer(c.dstIp, c.dstPort, c.dstIdentity, c.dstWorkload),
      match: s(c.match) as FlowEvent['match'], cookie: c.cookie[i]!,
    };
    for (const [key, absent] of OPTIONAL_NUMBER_ENTRIES) if (c[key][i] !== absent) flow[key] = c[key][i]!;
    for (const key of OPTIONAL_STRING_FIELDS) {
      const v = s(c[key]);
      if (v !== undefined) flow[key] = v;
    }
    if (c.source[i]! >= 0) flow.source = this.sources[c.source[i]!];
    return flow;
  }

  /** Every retained flow as an object, oldest first. */
  events(): FlowEvent[] {
    const out: FlowEvent[] = new Array(this.size);
    for (let k = 0; k < this.size; k++) out[k] = this.event(this.base + k)!;
    return out;
  }

  /** A new capacity, keeping the newest flows (sequence numbers stay). */
  resize(capacity: number): void {
    if (capacity === this.capacity) return;
    const keep = Math.min(this.size, capacity);
    this.rebuild(Math.min(capacity, Math.max(keep, MIN_ALLOCATION)), this.end - keep, keep);
    this.capacity = capacity;
  }

  clear(): void {
    this.base = this.end;
    this.size = 0;
    this.start = 0;
    this.cols = allocateColumns(0);
    this.allocated = 0;
    this.strings = [];
    this.stringIds = new Map();
    this.compactAt = MIN_COMPACT_SLACK;
    this.generation++;
  }

  private internString(value: string): number {
    let id = this.stringIds.get(value);
    if (id === undefined) { id = this.strings.length; this.strings.push(value); this.stringIds.set(value, id); }
    return id;
  }

  /** Sources arrive as new objects in every cloned batch: shared by location. */
  private internSource(value: SourceLocation): number {
    const key = sourceKey(value);
    let id = this.sourceIds.get(key);
    if (id === undefined) { id = this.sources.length; this.sources.push(value); this.sourceIds.set(key, id); }
    return id;
  }

  /** Slot runs (start, length) holding `n` flows from sequence number `from`: one, or two when they wrap. */
  private runs(from: number, n: number): [number, number][] {
    if (n === 0) return [];
    const first = this.slotOf(from);
    const len = Math.min(n, this.allocated - first);
    return len === n ? [[first, n]] : [[first, len], [0, n - len]];
  }

  private copyIn(batch: FlowColumnBatch, row: number, n: number, slot: number, ids: Int32Array, sourceIds: Int32Array): void {
    for (const name of NUMBER_NAMES) (this.cols[name] as AnyColumn).set((batch[name] as AnyColumn).subarray(row, row + n), slot);
    for (const name of STRING_COLUMNS) {
      const from = batch[name];
      const to = this.cols[name];
      for (let k = 0; k < n; k++) { const v = from[row + k]!; to[slot + k] = v < 0 ? -1 : ids[v]!; }
    }
    const from = batch.source;
    const to = this.cols.source;
    for (let k = 0; k < n; k++) { const v = from[row + k]!; to[slot + k] = v < 0 ? -1 : sourceIds[v]!; }
  }

  /** Room for `needed` flows before the ring is full (start is 0 then): doubles, up to the capacity. */
  private reserve(needed: number): void {
    if (needed <= this.allocated) return;
    this.rebuild(Math.min(this.capacity, Math.max(needed, this.allocated * 2, MIN_ALLOCATION)), this.base, this.size);
  }

  /** New arrays of `allocated` slots holding the `count` flows from `from`, oldest at slot 0. */
  private rebuild(allocated: number, from: number, count: number): void {
    const next = allocateColumns(allocated);
    const runs = this.runs(from, count);
    for (const name of COLUMN_NAMES) {
      let at = 0;
      for (const [slot, len] of runs) { (next[name] as AnyColumn).set((this.cols[name] as AnyColumn).subarray(slot, slot + len), at); at += len; }
    }
    this.cols = next;
    this.allocated = allocated;
    this.base = from;
    this.size = count;
    this.start = 0;
  }

  /** Drops strings no retained flow uses and renumbers the rest (retained flows are in slots 0..size-1 either way). */
  private compactStrings(): void {
    const renumber = new Int32Array(this.strings.length).fill(-1);
    const strings: string[] = [];
    for (const name of STRING_COLUMNS) {
      const column = this.cols[name];
      for (let i = 0; i < this.size; i++) {
        const id = column[i]!;
        if (id < 0) continue;
        if (renumber[id] < 0) { renumber[id] = strings.length; strings.push(this.strings[id]!); }
        column[i] = renumber[id]!;
      }
    }
    this.strings = strings;
    this.stringIds = new Map(strings.map((s, i) => [s, i]));
    this.compactAt = Math.max(MIN_COMPACT_SLACK, 2 * strings.length);
    this.generation++;
  }
}
