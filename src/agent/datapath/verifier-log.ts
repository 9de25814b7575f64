/**
 * The verifier's log: statistics of a successful load (log level 4) and the
 * place a rejected program failed (log level 1, with `; source @ file:NN`
 * annotations), for the build result and the verifier-log view.
 */
import type { VerifierStats } from '../../protocol/agent-rpc';

export function parseVerifierStats(program: string, log: string, verifiedInsns?: number): VerifierStats {
  const stats: VerifierStats = { program };
  const processed = /processed (\d+) insns/.exec(log);
  if (processed) stats.insnsProcessed = Number(processed[1]);
  const states = /total_states (\d+)/.exec(log);
  if (states) stats.states = Number(states[1]);
  const stack = /stack depth ([\d+]+)/.exec(log);
  if (stack) stats.stackDepth = stack[1];
  const time = /verification time (\d+) usec/.exec(log);
  if (time) stats.verificationTimeUs = Number(time[1]);
  if (verifiedInsns !== undefined) stats.verifiedInsns = verifiedInsns;
  return stats;
}

/** The last `; code @ file:line` annotation before the verifier's error: where it gave up. */
export function verifierFailureLocation(log: string): { file: string; line: number; source: string } | undefined {
  let last: { file: string; line: number; source: string } | undefined;
  for (const line of log.split('\n')) {
    const m = /^; (.*) @ (\S+):(\d+)$/.exec(line.trim());
    if (m) last = { source: m[1], file: m[2], line: Number(m[3]) };
  }
  return last;
}
