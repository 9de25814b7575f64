/**
 * FlowEvent[] ⇄ FlowBatchCompact (agent-rpc.ts): columns of numbers with one
 * string table per batch. JSON-encoding a few dozen number arrays costs a
 * fraction of encoding the same events as nested objects with their keys,
 * which is what limited the event pipeline in trace-all mode.
 */
import type { FlowBatchCompact } from './agent-rpc';
import { COLUMN_NAMES, encodeFlowColumns, type ColumnName } from './flow-columns';
import type { FlowEndpoint, FlowEvent } from './flow-event';

/** Objects → typed columns (the one encoder, flow-columns.ts) → number lists. */
export function encodeCompactBatch(flows: readonly FlowEvent[], lost: number): FlowBatchCompact {
  const c = encodeFlowColumns(flows);
  const lists = Object.fromEntries(COLUMN_NAMES.map((name) => [name, Array.from(c[name])]));
  return { lost, count: c.count, strings: c.strings, sources: c.sources, ...(lists as Record<ColumnName, number[]>) };
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
