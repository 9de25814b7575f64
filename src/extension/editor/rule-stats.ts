/**
 * Per-rule and per-policy tallies of the flow ring since the last deploy: what
 * the CodeLens counts, the hover's last drops and the expect diagnostics read.
 * Pure logic (no vscode import) so it is unit-tested on its own.
 */
import type { FlowEvent } from '../../protocol/flow-event';

export interface Tally {
  allowed: number;
  denied: number;
  /** Newest first, at most `RuleStats.lastDropsKept`. */
  lastDrops: FlowEvent[];
}

export class RuleStats {
  static readonly lastDropsKept = 5;
  private readonly byRule = new Map<string, Tally>();
  private readonly byPolicy = new Map<string, Tally>();
  /** Drops seen since the reset, newest last (for expect contradictions). */
  readonly drops: FlowEvent[] = [];
  /** Flows counted since the last reset. */
  total = 0;
  since = Date.now();

  reset(now = Date.now()): void {
    this.byRule.clear();
    this.byPolicy.clear();
    this.drops.length = 0;
    this.total = 0;
    this.since = now;
  }

  add(flows: readonly FlowEvent[]): void {
    for (const flow of flows) {
      if (flow.time < this.since) continue; // before the deploy: the rule may not exist any more
      this.total++;
      const dropped = flow.verdict === 'dropped';
      if (dropped) {
        this.drops.push(flow);
        if (this.drops.length > 1000) this.drops.splice(0, this.drops.length - 1000);
      }
      // A default deny carries the policy's cookie and id; a rule's verdict carries the rule id.
      if (flow.ruleId) count(this.byRule, flow.ruleId, flow, dropped);
      else if (flow.policyId && flow.match === 'default-deny') count(this.byPolicy, flow.policyId, flow, dropped);
    }
  }

  rule(id: string): Tally {
    return this.byRule.get(id) ?? empty();
  }

  /** Default-deny drops a policy caused. */
  policy(id: string): Tally {
    return this.byPolicy.get(id) ?? empty();
  }
}

function empty(): Tally {
  return { allowed: 0, denied: 0, lastDrops: [] };
}

function count(map: Map<string, Tally>, key: string, flow: FlowEvent, dropped: boolean): void {
  let tally = map.get(key);
  if (!tally) map.set(key, (tally = empty()));
  if (dropped) {
    tally.denied++;
    tally.lastDrops.unshift(flow);
    if (tally.lastDrops.length > RuleStats.lastDropsKept) tally.lastDrops.pop();
  } else tally.allowed++;
}

/** `frontend-0 (10.244.0.12:40312) → db (10.244.0.14:5432) tcp` */
export function describeFlow(flow: FlowEvent): string {
  const end = (e: FlowEvent['src'], port: boolean): string => `${e.workload ?? e.ip}${port && e.port ? `:${e.port}` : ''}`;
  const l4 = flow.protocol === 'icmp' ? 'icmp' : `${flow.dst.port}/${flow.protocol}`;
  return `${end(flow.src, false)} → ${end(flow.dst, false)} ${l4}`;
}

/** A workload name from a flow endpoint (`default/db` → `default/db`), or undefined for host/world/unknown addresses. */
export function workloadOf(end: FlowEvent['src']): string | undefined {
  if (!end.workload || end.workload === 'host' || end.workload === 'world') return undefined;
  return end.workload;
}
