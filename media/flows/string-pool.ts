/**
 * One copy of each repeated string of the retained flows. Every flow arrives
 * as a fresh structured clone, so its verdict, workloads, rule text and so on
 * are new string copies each time; 100,000 retained flows carry millions of
 * duplicates. Swapping them for a pooled copy on arrival lets the copies die
 * young (cheap scavenges) instead of filling the old generation.
 */
import type { FlowEvent } from '../../src/protocol/flow-event';

export class StringPool {
  private readonly strings = new Map<string, string>();

  /**
   * `limit` bounds the pool when values are mostly unique (e.g. many IPs): once
   * full it keeps what it has (the strings seen early and often) and passes new
   * ones through, instead of churning.
   */
  constructor(private readonly limit = 20_000) {}

  get size(): number { return this.strings.size; }

  intern<S extends string | undefined>(value: S): S {
    if (value === undefined) return value;
    const pooled = this.strings.get(value);
    if (pooled !== undefined) return pooled as S;
    if (this.strings.size < this.limit) this.strings.set(value, value);
    return value;
  }

  clear(): void {
    this.strings.clear();
  }
}

/** Replaces a flow's repeated strings with pooled copies, in place. */
export function poolFlowStrings(flow: FlowEvent, pool: StringPool): void {
  flow.verdict = pool.intern(flow.verdict);
  flow.direction = pool.intern(flow.direction);
  flow.protocol = pool.intern(flow.protocol);
  flow.match = pool.intern(flow.match);
  if (flow.dropReasonText !== undefined) flow.dropReasonText = pool.intern(flow.dropReasonText);
  if (flow.endpoint !== undefined) flow.endpoint = pool.intern(flow.endpoint);
  if (flow.ruleId !== undefined) flow.ruleId = pool.intern(flow.ruleId);
  if (flow.ruleText !== undefined) flow.ruleText = pool.intern(flow.ruleText);
  if (flow.policyId !== undefined) flow.policyId = pool.intern(flow.policyId);
  if (flow.tcpFlags !== undefined) flow.tcpFlags = pool.intern(flow.tcpFlags);
  poolEndpoint(flow.src, pool);
  poolEndpoint(flow.dst, pool);
}

function poolEndpoint(end: FlowEvent['src'], pool: StringPool): void {
  end.ip = pool.intern(end.ip);
  if (end.workload !== undefined) end.workload = pool.intern(end.workload);
}
