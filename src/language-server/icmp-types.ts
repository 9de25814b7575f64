/** ICMPv4 message types by the names `ping`, iptables and Cilium's docs use. */
export const ICMP_TYPES: Readonly<Record<string, number>> = {
  'echo-reply': 0,
  'destination-unreachable': 3,
  'source-quench': 4,
  'redirect': 5,
  'echo-request': 8,
  'router-advertisement': 9,
  'router-solicitation': 10,
  'time-exceeded': 11,
  'parameter-problem': 12,
  'timestamp-request': 13,
  'timestamp-reply': 14,
};

/** The numeric type of `icmp type NAME|N`; undefined for an unknown name. */
export function icmpTypeOf(node: { icmpType?: number; icmpTypeName?: string }): number | undefined {
  if (node.icmpType !== undefined) return node.icmpType;
  return node.icmpTypeName !== undefined ? ICMP_TYPES[node.icmpTypeName] : undefined;
}
