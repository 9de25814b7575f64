/**
 * FlowColumns: a batch of flows as typed-array columns plus one string table,
 * the form the extension host posts to the flows webview. It is
 * FlowBatchCompact (agent-rpc.ts) with typed arrays instead of number lists:
 * a typed array structured-clones as one memory copy (VS Code transfers it as
 * a buffer, not JSON), where flow objects clone field by field — which was
 * most of the webview's main-thread time while streaming. Column i of every
 * array is flow i; string columns hold indices into `strings` (-1: absent),
 * `source` into `sources`; `length` is -1 when absent.
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

export type ColumnArrays = { [K in NumberColumn]: InstanceType<(typeof NUMBER_COLUMNS)[K]> } & { [K in StringColumn | 'source']: Int32Array };

export interface FlowColumns extends ColumnArrays {
  count: number;
  strings: string[];
  sources: SourceLocation[];
}

export const COLUMN_NAMES: readonly ColumnName[] = [...(Object.keys(NUMBER_COLUMNS) as NumberColumn[]), ...STRING_COLUMNS, 'source'];

/** Empty columns for `n` flows (string and source columns start absent). */
export function allocateColumns(n: number): ColumnArrays {
  const out = {} as Record<ColumnName, TypedColumn | Int32Array>;
  for (const [name, Type] of Object.entries(NUMBER_COLUMNS)) out[name as NumberColumn] = new Type(n);
  for (const name of [...STRING_COLUMNS, 'source'] as const) out[name] = new Int32Array(n).fill(-1);
  return out as ColumnArrays;
}

/** Flow objects (as `flows/batch` carries them) → columns. */
export function encodeFlowColumns(flows: readonly FlowEvent[]): FlowColumns {
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
    c.length[i] = f.length ?? -1;
    c.protocol[i] = strings.of(f.protocol);
    c.srcIp[i] = strings.of(f.src.ip); c.srcWorkload[i] = strings.of(f.src.workload);
    c.dstIp[i] = strings.of(f.dst.ip); c.dstWorkload[i] = strings.of(f.dst.workload);
    c.match[i] = strings.of(f.match);
    c.endpoint[i] = strings.of(f.endpoint);
    c.tcpFlags[i] = strings.of(f.tcpFlags);
    c.dropReasonText[i] = strings.of(f.dropReasonText);
    c.ruleId[i] = strings.of(f.ruleId);
    c.policyId[i] = strings.of(f.policyId);
    c.ruleText[i] = strings.of(f.ruleText);
    c.source[i] = sources.of(f.source);
  }
  return { ...c, count: n, strings: strings.items, sources: sources.items };
}
