/**
 * IP protocol numbers (IANA, as in the IPv4 header and the policy map key) and
 * the names the IR, flow events and views use for them.
 */
export const IpProtocol = { Icmp: 1, Tcp: 6, Udp: 17, Icmpv6: 58 } as const;

const NAMES: Record<number, string> = {
  [IpProtocol.Icmp]: 'icmp',
  [IpProtocol.Tcp]: 'tcp',
  [IpProtocol.Udp]: 'udp',
  [IpProtocol.Icmpv6]: 'icmpv6',
};

/** The number of a protocol the IR names (`tcp`, `udp`, `icmp`). */
export function protocolNumber(name: 'tcp' | 'udp' | 'icmp'): number {
  return name === 'tcp' ? IpProtocol.Tcp : name === 'udp' ? IpProtocol.Udp : IpProtocol.Icmp;
}

/** `tcp` for 6; the number as text for a protocol without a name here (47 → `47`). */
export function protocolName(protocol: number): string {
  return NAMES[protocol] ?? String(protocol);
}
