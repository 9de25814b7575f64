/**
 * Drops seen on real packets that contradict an `expect … allowed` line: the
 * expectation names the same source, destination and port. Pure logic.
 */
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

/** One entry per contradicted `allowed` expectation, with its latest drop and how many drops contradict it. */
export function contradictions(expects: readonly ExpectIR[], drops: readonly FlowEvent[]): Contradiction[] {
  const found: Contradiction[] = [];
  for (const expect of expects) {
    if (expect.verdict !== 'allowed') continue;
    let latest: FlowEvent | undefined;
    let count = 0;
    for (const drop of drops) {
      if (drop.verdict !== 'dropped' || !expectMatchesFlow(expect, drop)) continue;
      count++;
      if (!latest || drop.time >= latest.time) latest = drop;
    }
    if (latest) found.push({ expect, drop: latest, count });
  }
  return found;
}
