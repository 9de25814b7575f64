/**
 * FlowBatchPacked (agent-rpc.ts), the one wire form of flows: the columns of
 * flow-columns.ts as binary. Each column is a typed array; all of them, in
 * FLOW_PACKED_COLUMNS order, are one little-endian buffer sent as base64.
 * Producing it is a copy of typed arrays and one base64 pass, and reading it
 * is a base64 decode and typed-array views: no JSON number per field on
 * either side, which is what the event pipeline's rate target needs. Runs in
 * Node and in webviews (no Node APIs except Buffer when it is there).
 */
import type { FlowBatchPacked } from './agent-rpc';
import { COLUMN_NAMES, NUMBER_COLUMNS, type ColumnName, type FlowColumnArrays, type FlowColumnBatch } from './flow-columns';

type ColumnType = (typeof NUMBER_COLUMNS)[keyof typeof NUMBER_COLUMNS] | Int32ArrayConstructor;

/**
 * flow-columns.ts's columns (the one definition of them), in buffer order:
 * wide element types first, so that each column starts aligned for its type.
 */
export const FLOW_PACKED_COLUMNS: readonly (readonly [ColumnName, ColumnType])[] = COLUMN_NAMES
  .map((name): readonly [ColumnName, ColumnType] => [name, name in NUMBER_COLUMNS ? NUMBER_COLUMNS[name as keyof typeof NUMBER_COLUMNS] : Int32Array])
  .sort((a, b) => b[1].BYTES_PER_ELEMENT - a[1].BYTES_PER_ELEMENT);

/** Bytes one event takes in the packed buffer. */
export const PACKED_BYTES_PER_EVENT = FLOW_PACKED_COLUMNS.reduce((n, [, t]) => n + t.BYTES_PER_ELEMENT, 0);

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The first `count` elements of every column as one buffer, base64. */
export function packFlowColumns(columns: FlowColumnArrays, count: number): string {
  if (!LITTLE_ENDIAN) throw new Error('flows/batchPacked needs a little-endian host');
  const out = new Uint8Array(count * PACKED_BYTES_PER_EVENT);
  let at = 0;
  for (const [name] of FLOW_PACKED_COLUMNS) {
    const col = columns[name];
    const bytes = count * col.BYTES_PER_ELEMENT;
    out.set(new Uint8Array(col.buffer, col.byteOffset, bytes), at);
    at += bytes;
  }
  return toBase64(out);
}

/** The columns of a packed batch as typed-array views (no copy beyond the base64 decode). */
export function unpackFlowColumns(b: Pick<FlowBatchPacked, 'count' | 'columns'>): FlowColumnArrays {
  if (!LITTLE_ENDIAN) throw new Error('flows/batchPacked needs a little-endian host');
  const bytes = fromBase64(b.columns);
  if (bytes.byteLength !== b.count * PACKED_BYTES_PER_EVENT) {
    throw new Error(`flows/batchPacked: ${bytes.byteLength} bytes of columns for ${b.count} events (expected ${b.count * PACKED_BYTES_PER_EVENT})`);
  }
  const out: Record<string, unknown> = {};
  let at = bytes.byteOffset;
  for (const [name, Type] of FLOW_PACKED_COLUMNS) {
    out[name] = new Type(bytes.buffer as ArrayBuffer, at, b.count);
    at += b.count * Type.BYTES_PER_ELEMENT;
  }
  return out as FlowColumnArrays;
}

/** A packed batch as the batch a FlowColumnRing takes. */
export function unpackFlowBatch(b: FlowBatchPacked): FlowColumnBatch {
  return { ...unpackFlowColumns(b), count: b.count, strings: b.strings, sources: b.sources };
}

function toBase64(bytes: Uint8Array): string {
  if (typeof Buffer !== 'undefined') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let s = '';
  for (let i = 0; i < bytes.byteLength; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Decoded bytes at an offset aligned for every column type (Node's pooled buffers may not be). */
function fromBase64(text: string): Uint8Array {
  if (typeof Buffer !== 'undefined') {
    const b = Buffer.from(text, 'base64');
    return b.byteOffset % 8 === 0 ? b : new Uint8Array(b);
  }
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
