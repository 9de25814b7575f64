/**
 * The one definition of a flow as columns, used from the agent's batches
 * (flows/batchPacked) through the extension's ring to the flows webview.
 * Column i of every array is flow i; string columns hold indices into a
 * batch's `strings` (-1: absent), `source` into `sources`.
 *
 * FlowColumnBatch is a batch with its own string table, the form the ring
 * takes in and hands out (what the host posts to the webview): a typed array
 * structured-clones as one memory copy (VS Code transfers it as a buffer, not
 * JSON), where flow objects clone field by field — which was most of the
 * webview's main-thread time while streaming.
 */
import { Interner } from './interner';
import type { FlowEvent } from './flow-event';
import type { SourceLocation } from './policy-ir';

/** Number columns and the typed array each is kept in (sized to the value range). */
export const NUMBER_COLUMNS = {
  time: Float64Array,
  /** 0 forwarded, 1 dropped. */
  verdict: Uint8Array,
  dropReason: Uint16Array,
  /** 0 ingress, 1 egress. */
  direction: Uint8Array,
  srcPort: Uint16Array,
  srcIdentity: Uint32Array,
  dstPort: Uint16Array,
  dstIdentity: Uint32Array,
  cookie: Uint32Array,
  length: Int32Array,
  /** 0: unknown (no interface has index 0). */
  ifindex: Uint32Array,
} as const;

/** Columns holding an index into the batch's `strings` (Int32Array, -1: absent). */
export const STRING_COLUMNS = [
  'protocol', 'srcIp', 'srcWorkload', 'dstIp', 'dstWorkload', 'match', 'endpoint', 'tcpFlags',
  'dropReasonText', 'ruleId', 'policyId', 'ruleText',
] as const;

export type NumberColumn = keyof typeof NUMBER_COLUMNS;
export type StringColumn = (typeof STRING_COLUMNS)[number];
export type ColumnName = NumberColumn | StringColumn | 'source';
export type TypedColumn = InstanceType<(typeof NUMBER_COLUMNS)[NumberColumn]>;

/**
 * Number columns that are an optional FlowEvent field of the same name, with
 * the value that stands for "absent". A field listed here (or in
 * OPTIONAL_STRING_FIELDS) needs nothing else to go to and from objects.
 */
export const OPTIONAL_NUMBER_FIELDS = { length: -1, ifindex: 0 } as const satisfies Partial<Record<NumberColumn & keyof FlowEvent, number>>;

export const OPTIONAL_NUMBER_ENTRIES = Object.entries(OPTIONAL_NUMBER_FIELDS) as [keyof typeof OPTIONAL_NUMBER_FIELDS, number][];

/** String columns that are an optional FlowEvent field of the same name. */
export const OPTIONAL_STRING_FIELDS = ['endpoint', 'tcpFlags', 'dropReasonText', 'ruleId', 'policyId', 'ruleText'] as const satisfies readonly (StringColumn & keyof FlowEvent)[];

/** Every column as its typed array. */
export type FlowColumnArrays = { [K in NumberColumn]: InstanceType<(typeof NUMBER_COLUMNS)[K]> } & { [K in StringColumn | 'source']: Int32Array };

/** `count` flows as columns with the strings and sources their indices name. */
export interface FlowColumnBatch extends FlowColumnArrays {
  count: number;
  strings: string[];
  sources: SourceLocation[];
}

export const COLUMN_NAMES: readonly ColumnName[] = [...(Object.keys(NUMBER_COLUMNS) as NumberColumn[]), ...STRING_COLUMNS, 'source'];

/** Empty columns for `n` flows (string and source columns start absent). */
export function allocateColumns(n: number): FlowColumnArrays {
  const out = {} as Record<ColumnName, TypedColumn | Int32Array>;
  for (const [name, Type] of Object.entries(NUMBER_COLUMNS)) out[name as NumberColumn] = new Type(n);
  for (const name of [...STRING_COLUMNS, 'source'] as const) out[name] = new Int32Array(n).fill(-1);
  return out as FlowColumnArrays;
}

/** Flow objects → columns (tests and benchmarks make flows this way; the product's come as columns). */
export function encodeFlowColumns(flows: readonly FlowEvent[]): FlowColumnBatch {
  const n = flows.length;
  const c = allocateColumns(n);
  const strings = new Interner<string>();
  // Sources are the rules' own objects: identity finds repeats.
  const sources = new Interner<SourceLocation>();
  for (let i = 0; i < n; i++) {
    const f = flows[i]!;
    c.time[i] = f.time;
    c.verdict[i] = f.verdict === 'dropped' ? 1 : 0;
    c.dropReason[i] = f.dropReason;
    c.direction[i] = f.direction === 'ingress' ? 0 : 1;
    c.srcPort[i] = f.src.port; c.srcIdentity[i] = f.src.identity;
    c.dstPort[i] = f.dst.port; c.dstIdentity[i] = f.dst.identity;
    c.cookie[i] = f.cookie;
    c.protocol[i] = strings.of(f.protocol);
    c.srcIp[i] = strings.of(f.src.ip); c.srcWorkload[i] = strings.of(f.src.workload);
    c.dstIp[i] = strings.of(f.dst.ip); c.dstWorkload[i] = strings.of(f.dst.workload);
    c.match[i] = strings.of(f.match);
    for (const [key, absent] of OPTIONAL_NUMBER_ENTRIES) c[key][i] = f[key] ?? absent;
    for (const key of OPTIONAL_STRING_FIELDS) c[key][i] = strings.of(f[key]);
    c.source[i] = sources.of(f.source);
  }
  return { ...c, count: n, strings: strings.items, sources: sources.items };
}
