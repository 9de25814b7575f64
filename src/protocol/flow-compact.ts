/**
 * FlowEvent[] ⇄ FlowBatchCompact (agent-rpc.ts): columns of numbers with one
 * string table per batch. JSON-encoding a few dozen number arrays costs a
 * fraction of encoding the same events as nested objects with their keys,
 * which is what limited the event pipeline in trace-all mode.
 */
import type { FlowBatchCompact } from './agent-rpc';
import type { FlowEndpoint, FlowEvent } from './flow-event';
import type { SourceLocation } from './policy-ir';

type Columns = Omit<FlowBatchCompact, 'lost' | 'count' | 'strings' | 'sources'>;
const COLUMNS: (keyof Columns)[] = [
  'time', 'verdict', 'dropReason', 'direction', 'protocol', 'srcIp', 'srcPort', 'srcIdentity', 'srcWorkload',
  'dstIp', 'dstPort', 'dstIdentity', 'dstWorkload', 'match', 'cookie', 'length', 'endpoint', 'tcpFlags',
  'dropReasonText', 'ruleId', 'policyId', 'ruleText', 'source',
];

/** A batch's table of distinct values (strings, sources): each gets an index once; undefined is -1. */
export class Interner<T> {
  readonly items: T[] = [];
  private readonly index = new Map<T, number>();

  of(value: T | undefined): number {
    if (value === undefined) return -1;
    let i = this.index.get(value);
    if (i === undefined) {
      i = this.items.push(value) - 1;
      this.index.set(value, i);
    }
    return i;
  }
}

export function encodeCompactBatch(flows: readonly FlowEvent[], lost: number): FlowBatchCompact {
  const strings = new Interner<string>();
  const str = (s: string | undefined) => strings.of(s);
  // Sources are shared objects (the rule's own), so identity finds repeats.
  const sources = new Interner<SourceLocation>();
  const src = (s: SourceLocation | undefined) => sources.of(s);
  const n = flows.length;
  const c = Object.fromEntries(COLUMNS.map((k) => [k, new Array<number>(n)])) as unknown as Columns;
  for (let i = 0; i < n; i++) {
    const f = flows[i]!;
    c.time[i] = f.time;
    c.verdict[i] = f.verdict === 'dropped' ? 1 : 0;
    c.dropReason[i] = f.dropReason;
    c.direction[i] = f.direction === 'ingress' ? 0 : 1;
    c.protocol[i] = str(f.protocol);
    c.srcIp[i] = str(f.src.ip); c.srcPort[i] = f.src.port; c.srcIdentity[i] = f.src.identity; c.srcWorkload[i] = str(f.src.workload);
    c.dstIp[i] = str(f.dst.ip); c.dstPort[i] = f.dst.port; c.dstIdentity[i] = f.dst.identity; c.dstWorkload[i] = str(f.dst.workload);
    c.match[i] = str(f.match);
    c.cookie[i] = f.cookie;
    c.length[i] = f.length ?? -1;
    c.endpoint[i] = str(f.endpoint);
    c.tcpFlags[i] = str(f.tcpFlags);
    c.dropReasonText[i] = str(f.dropReasonText);
    c.ruleId[i] = str(f.ruleId);
    c.policyId[i] = str(f.policyId);
    c.ruleText[i] = str(f.ruleText);
    c.source[i] = src(f.source);
  }
  return { lost, count: n, strings: strings.items, sources: sources.items, ...c };
}

/** The client's side: the events as objects again (what flows/batch would have carried). */
export function decodeCompactBatch(b: FlowBatchCompact): FlowEvent[] {
  const s = (i: number | undefined): string | undefined => (i === undefined || i < 0 ? undefined : b.strings[i]);
  const out: FlowEvent[] = new Array(b.count);
  for (let i = 0; i < b.count; i++) {
    const peer = (ip: number, port: number, identity: number, workload: number): FlowEndpoint => {
      const e: FlowEndpoint = { ip: s(ip)!, port, identity };
      const w = s(workload);
      if (w !== undefined) e.workload = w;
      return e;
    };
    const ev: FlowEvent = {
      time: b.time[i]!,
      verdict: b.verdict[i] ? 'dropped' : 'forwarded',
      dropReason: b.dropReason[i]!,
      direction: b.direction[i] ? 'egress' : 'ingress',
      protocol: s(b.protocol[i])!,
      src: peer(b.srcIp[i]!, b.srcPort[i]!, b.srcIdentity[i]!, b.srcWorkload[i]!),
      dst: peer(b.dstIp[i]!, b.dstPort[i]!, b.dstIdentity[i]!, b.dstWorkload[i]!),
      match: s(b.match[i]) as FlowEvent['match'],
      cookie: b.cookie[i]!,
    };
    if (b.length[i]! >= 0) ev.length = b.length[i]!;
    const optional = { endpoint: b.endpoint, tcpFlags: b.tcpFlags, dropReasonText: b.dropReasonText, ruleId: b.ruleId, policyId: b.policyId, ruleText: b.ruleText } as const;
    for (const [k, col] of Object.entries(optional)) {
      const v = s(col[i]);
      if (v !== undefined) (ev as unknown as Record<string, unknown>)[k] = v;
    }
    const src = b.source[i]!;
    if (src >= 0) ev.source = b.sources[src]!;
    out[i] = ev;
  }
  return out;
}
