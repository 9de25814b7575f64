/**
 * Drop reasons with Cilium's numbers and texts (pkg/monitor/api/drop.go).
 * bpf/lib/drop.h declares the same numbers; test/unit/drop-reasons.test.ts
 * checks that the two agree.
 */
export const DropReason = {
  InvalidPacket: 134,
  CtTruncatedOrInvalidHeader: 135,
  CtUnknownL4Protocol: 137,
  /** A pipeline stage (tail call) was missing: the packet is dropped, never let through unchecked. */
  MissedTailCall: 140,
  /** Local delivery could not rewrite the packet's headers (TTL, MACs) before redirecting it. */
  WriteError: 141,
  /** A later IPv4 fragment whose first fragment (with the ports) was never seen. */
  FragmentNotFound: 175,
  PolicyDenied: 133,
  PolicyDenyRule: 181,
} as const;

export const dropReasonText: Record<number, string> = {
  133: 'Policy denied',
  134: 'Invalid packet',
  135: 'CT: Truncated or invalid header',
  137: 'CT: Unknown L4 protocol',
  140: 'Missed tail call',
  141: 'Error writing to packet',
  175: 'First logical datagram fragment not found',
  181: 'Policy denied by denylist',
};

export function describeDropReason(code: number): string {
  return dropReasonText[code] ?? `Unknown drop reason ${code}`;
}
