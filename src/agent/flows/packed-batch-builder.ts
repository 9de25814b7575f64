/**
 * Ring-buffer flow records → flow columns (flow-columns.ts), with no object
 * per event: the datapath's FlowRecordReader gives each record's fields,
 * which go straight into typed arrays, and what the enricher adds (names,
 * rules, texts) is looked up once per distinct key in a batch — address,
 * (address, identity), endpoint id, (cookie, default deny), protocol, match,
 * TCP flags, drop reason — and stored as an index into the batch's string
 * table. finish() packs the batch as flows/batchPacked; the agent's recent
 * flows take the columns as they are (takeColumns).
 */
import type { FlowBatchPacked } from '../../protocol/agent-rpc';
import { describeDropReason } from '../../protocol/drop-reasons';
import { allocateColumns, type FlowColumnArrays, type FlowColumnBatch } from '../../protocol/flow-columns';
import { Interner } from '../../protocol/interner';
import { packFlowColumns } from '../../protocol/flow-packed';
import type { FlowMatch } from '../../protocol/flow-event';
import type { SourceLocation } from '../../protocol/policy-ir';
import { FlowRecordReader, ipv4Text, type FlowRecordBatch } from '../datapath';
import { IpProtocol, protocolName } from '../../protocol/ip-protocols';
import { tcpFlagsText, type FlowEnricher } from './flow-enricher';

/** A byte-keyed index table's "not looked up yet". */
const UNSET = -2;

interface LocalEnd { name: number; identity: number | undefined }
interface PeerEnd { identity: number; workload: number }

export class FlowColumnsBuilder {
  private cols: FlowColumnArrays;
  private readonly record = new FlowRecordReader();
  private capacity: number;
  private n = 0;
  private strings = new Interner<string>();
  /** Sources are the rules' own objects: identity finds repeats. */
  private sources = new Interner<SourceLocation>();
  // Per-batch lookups (the string table is per batch, so are these).
  private ips = new Map<number, number>();
  private peers = new Map<number, Map<number, PeerEnd>>();
  private locals = new Map<number, LocalEnd>();
  /** (cookie, default deny) → ruleId, policyId, ruleText, source indices. */
  private whys = new Map<number, Int32Array>();
  private protocols = new Int32Array(256).fill(UNSET);
  private matches = new Map<FlowMatch, number>();
  private flags = new Int32Array(256).fill(UNSET);
  private dropTexts = new Int32Array(256).fill(UNSET);

  constructor(private readonly enricher: FlowEnricher, initialCapacity = 16_384) {
    this.capacity = initialCapacity;
    this.cols = allocateColumns(initialCapacity);
  }

  /** Events in the batch being built. */
  get count(): number {
    return this.n;
  }

  /** Appends at most `max` of the batch's records; returns how many it took. */
  append(batch: FlowRecordBatch, max = Infinity): number {
    const take = Math.min(batch.count, max);
    if (take <= 0) return 0;
    const r = this.record.read(batch);
    this.reserve(this.n + take);
    const c = this.cols;
    for (let i = 0; i < take; i++) {
      r.seek(i);
      const n = this.n++;
      const protocol = r.protocol;
      const ingress = r.ingress;
      const dropped = r.dropped;
      const dropReason = r.dropReason;
      const match = r.match;
      const cookie = r.cookie;
      const remote = r.remoteIdentity;
      const saddr = r.saddr;
      const daddr = r.daddr;
      const local = this.local(r.endpointId);
      const src = this.peer(saddr, ingress ? remote : local.identity);
      const dst = this.peer(daddr, ingress ? local.identity : remote);
      const why = this.why(cookie, match === 'default-deny');
      c.time[n] = r.timeMs;
      c.verdict[n] = dropped ? 1 : 0;
      c.dropReason[n] = dropReason;
      c.direction[n] = ingress ? 0 : 1;
      c.protocol[n] = this.byte(this.protocols, protocol, protocolName);
      c.srcIp[n] = this.ip(saddr);
      c.srcPort[n] = r.srcPort;
      c.srcIdentity[n] = src.identity;
      c.srcWorkload[n] = src.workload;
      c.dstIp[n] = this.ip(daddr);
      c.dstPort[n] = r.dstPort;
      c.dstIdentity[n] = dst.identity;
      c.dstWorkload[n] = dst.workload;
      c.match[n] = this.matchIndex(match);
      c.cookie[n] = cookie;
      c.length[n] = r.length;
      c.ifindex[n] = r.ifindex;
      c.endpoint[n] = local.name;
      c.tcpFlags[n] = protocol === IpProtocol.Tcp ? this.byte(this.flags, r.tcpFlags, tcpFlagsText) : -1;
      c.dropReasonText[n] = dropped ? this.byte(this.dropTexts, dropReason, describeDropReason) : -1;
      c.ruleId[n] = why[0]!;
      c.policyId[n] = why[1]!;
      c.ruleText[n] = why[2]!;
      c.source[n] = why[3]!;
    }
    return take;
  }

  /** The batch built so far as a notification, and a fresh start for the next one. */
  finish(lost: number): FlowBatchPacked {
    const out: FlowBatchPacked = { lost, count: this.n, strings: this.strings.items, sources: this.sources.items, columns: packFlowColumns(this.cols, this.n) };
    this.clear();
    return out;
  }

  /** The batch built so far as columns, valid until the next append (the caller copies them, as a FlowColumnRing does). */
  takeColumns(): FlowColumnBatch {
    const out: FlowColumnBatch = { ...this.cols, count: this.n, strings: this.strings.items, sources: this.sources.items };
    this.clear();
    return out;
  }

  /** Drops the batch built so far (a subscriber left: nothing to pack). */
  clear(): void {
    this.n = 0;
    this.strings = new Interner();
    this.sources = new Interner();
    this.ips.clear();
    this.peers.clear();
    this.locals.clear();
    this.whys.clear();
    this.matches.clear();
    for (const t of [this.protocols, this.flags, this.dropTexts]) t.fill(UNSET);
  }

  private reserve(n: number): void {
    if (n <= this.capacity) return;
    let capacity = this.capacity;
    while (capacity < n) capacity *= 2;
    const grown = allocateColumns(capacity);
    for (const [name, col] of Object.entries(this.cols)) (grown as unknown as Record<string, Uint8Array>)[name]!.set(col.subarray(0, this.n));
    this.cols = grown;
    this.capacity = capacity;
  }

  private str(s: string | undefined): number {
    return this.strings.of(s);
  }

  private source(s: SourceLocation | undefined): number {
    return this.sources.of(s);
  }

  private byte(table: Int32Array, key: number, text: (key: number) => string): number {
    let i = table[key]!;
    if (i === UNSET) table[key] = i = this.str(text(key));
    return i;
  }

  private matchIndex(match: FlowMatch): number {
    let i = this.matches.get(match);
    if (i === undefined) this.matches.set(match, (i = this.str(match)));
    return i;
  }

  private ip(addr: number): number {
    let i = this.ips.get(addr);
    if (i === undefined) this.ips.set(addr, (i = this.str(ipv4Text(addr))));
    return i;
  }

  private local(endpointId: number): LocalEnd {
    let l = this.locals.get(endpointId);
    if (l === undefined) {
      const ep = this.enricher.local(endpointId);
      this.locals.set(endpointId, (l = { name: this.str(ep?.name), identity: ep?.identity }));
    }
    return l;
  }

  private peer(addr: number, identity: number | undefined): PeerEnd {
    let byIdentity = this.peers.get(addr);
    if (byIdentity === undefined) this.peers.set(addr, (byIdentity = new Map()));
    const key = identity ?? -1;
    let p = byIdentity.get(key);
    if (p === undefined) {
      const found = this.enricher.peerOf(ipv4Text(addr), identity);
      byIdentity.set(key, (p = { identity: found.identity, workload: this.str(found.workload) }));
    }
    return p;
  }

  private why(cookie: number, defaultDeny: boolean): Int32Array {
    const key = cookie * 2 + (defaultDeny ? 1 : 0);
    let w = this.whys.get(key);
    if (w === undefined) {
      const e = this.enricher.explanation(cookie, defaultDeny);
      this.whys.set(key, (w = Int32Array.of(this.str(e.ruleId), this.str(e.policyId), this.str(e.ruleText), this.source(e.source))));
    }
    return w;
  }
}
