/** A deciding rule in words, for test failures and task output. Pure logic. */
import type { TraceDecision } from '../../protocol/language-rpc';

export function decisionText(d: TraceDecision): string {
  switch (d.kind) {
    case 'rule': return `${d.action} rule \`${d.text}\` of ${d.policyId} (line ${d.source.range.start.line + 1}) decides`;
    case 'default-deny': return `default deny ${d.direction} by policy ${d.policyId} (line ${d.source.range.start.line + 1}), no rule matches`;
    case 'default-allow': return 'no policy selects either end: default allow';
    case 'no-backend': return `service ${d.service} has no backend for it`;
  }
}
