/**
 * Per-rule and per-policy tallies of the flow ring since the last deploy: what
 * the CodeLens counts, the hover's last drops and the expect diagnostics read.
 * Counting reads the ring's columns (no object per flow); a drop is kept as
 * its sequence number and made an object only when someone looks at it (a
 * hover, Explain Drop), as long as the ring still holds it. Pure logic (no
 * vscode import) so it is unit-tested on its own.
 */
import type { FlowColumnRing } from '../../protocol/flow-column-ring';
import type { FlowEvent } from '../../protocol/flow-event';

export interface Tally {
  allowed: number;
  denied: number;
  /** The last (at most `RuleStats.lastDropsKept`, or `limit`) drops still in the ring, newest first, made into objects on each call. */
  lastDrops(limit?: number): FlowEvent[];
}

/** Drops kept for expect contradictions. */
const DROPS_KEPT = 1000;

class Counts {
  allowed = 0;
  denied = 0;
  /** Sequence numbers of the last drops, oldest first. */
  readonly drops: number[] = [];

  constructor(private readonly ring: FlowColumnRing) {}

  lastDrops(limit = RuleStats.lastDropsKept): FlowEvent[] {
    const out: FlowEvent[] = [];
    for (let k = this.drops.length - 1; k >= 0 && out.length < limit; k--) {
      const flow = this.ring.event(this.drops[k]!);
      if (flow) out.push(flow);
    }
    return out;
  }
}

export class RuleStats {
  static readonly lastDropsKept = 5;
  private byRule = new Map<string, Counts>();
  private byPolicy = new Map<string, Counts>();
  /** Sequence numbers of the drops seen since the reset, oldest first (for expect contradictions). */
  readonly drops: number[] = [];
  /** Sequence number of the first flow not counted yet. */
  private next: number;
  /** Flows counted since the last reset. */
  total = 0;
  since = Date.now();

  constructor(readonly ring: FlowColumnRing) {
    this.next = ring.base;
  }

  /** Counts start again from zero with the flows that arrive from now on (their time at or after `now`). */
  reset(now = Date.now()): void {
    this.byRule = new Map();
    this.byPolicy = new Map();
    this.drops.length = 0;
    this.total = 0;
    this.since = now;
    this.next = this.ring.end;
  }

  /** Counts the flows the ring got since the last call. */
  catchUp(): void {
    const ring = this.ring;
    const c = ring.columns;
    for (let seq = Math.max(this.next, ring.base); seq < ring.end; seq++) {
      const slot = ring.slotOf(seq);
      if (c.time[slot]! < this.since) continue; // before the deploy: the rule may not exist any more
      this.total++;
      const dropped = c.verdict[slot] === 1;
      if (dropped) {
        this.drops.push(seq);
        if (this.drops.length > DROPS_KEPT) this.drops.splice(0, this.drops.length - DROPS_KEPT);
      }
      // A default deny carries the policy's cookie and id; a rule's verdict carries the rule id.
      const ruleId = ring.stringAt(c.ruleId[slot]!);
      if (ruleId !== undefined) this.count(this.byRule, ruleId, seq, dropped);
      else if (ring.stringAt(c.match[slot]!) === 'default-deny') {
        const policyId = ring.stringAt(c.policyId[slot]!);
        if (policyId !== undefined) this.count(this.byPolicy, policyId, seq, dropped);
      }
    }
    this.next = ring.end;
  }

  rule(id: string): Tally {
    return this.byRule.get(id) ?? new Counts(this.ring);
  }

  /** Default-deny drops a policy caused. */
  policy(id: string): Tally {
    return this.byPolicy.get(id) ?? new Counts(this.ring);
  }

  private count(map: Map<string, Counts>, key: string, seq: number, dropped: boolean): void {
    let counts = map.get(key);
    if (!counts) map.set(key, (counts = new Counts(this.ring)));
    if (dropped) {
      counts.denied++;
      counts.drops.push(seq);
      if (counts.drops.length > RuleStats.lastDropsKept) counts.drops.shift();
    } else counts.allowed++;
  }
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
