/**
 * Drops seen on real packets that contradict an `expect … allowed` line: the
 * expectation names the same source, destination and port. Drops are read
 * from the flow ring through a cursor; only each contradiction's latest drop
 * becomes an object. Pure logic.
 */
import type { FlowColumnRing } from '../../protocol/flow-column-ring';
import { FlowCursor } from '../../protocol/flow-cursor';
import type { FlowEvent } from '../../protocol/flow-event';
import type { ExpectIR } from '../../protocol/policy-ir';

export interface Contradiction { expect: ExpectIR; drop: FlowEvent; count: number }

/** `db` and `default/db` name the same workload; `default` is the namespace a bare name lives in. */
export function sameWorkload(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const norm = (s: string): string => (s.includes('/') ? s : `default/${s}`);
  return norm(a) === norm(b);
}

export function expectMatchesFlow(expect: ExpectIR, flow: FlowEvent): boolean {
  if (!sameWorkload(expect.from, flow.src.workload) || !sameWorkload(expect.to, flow.dst.workload)) return false;
  if (expect.protocol !== 'any' && expect.protocol !== flow.protocol) return false;
  if (flow.protocol === 'icmp') return true;
  return expect.port === undefined || expect.port === flow.dst.port;
}

/** One entry per contradicted `allowed` expectation, with its latest drop and how many drops contradict it; `drops` are sequence numbers in `ring`. */
export function contradictions(expects: readonly ExpectIR[], ring: FlowColumnRing, drops: readonly number[]): Contradiction[] {
  const found: Contradiction[] = [];
  const cursor = new FlowCursor(ring);
  for (const expect of expects) {
    if (expect.verdict !== 'allowed') continue;
    let latest = -1;
    let latestTime = -Infinity;
    let count = 0;
    for (const seq of drops) {
      const drop = cursor.at(seq);
      if (!drop || drop.verdict !== 'dropped' || !expectMatchesFlow(expect, drop)) continue;
      count++;
      if (drop.time >= latestTime) { latest = seq; latestTime = drop.time; }
    }
    if (count > 0) found.push({ expect, drop: ring.event(latest)!, count });
  }
  return found;
}
