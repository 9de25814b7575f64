/** IPv4 CIDR parsing for validation (the language is IPv4-only for now, like the datapath). */
export interface Ipv4Cidr { address: number; prefix: number }

export function parseCidr(text: string): Ipv4Cidr | string {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(text);
  if (!match) return `'${text}' is not an IPv4 CIDR (a.b.c.d/len)`;
  const octets = match.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return `'${text}' has an octet above 255`;
  const prefix = match[5] === undefined ? 32 : Number(match[5]);
  if (prefix > 32) return `'${text}' has a prefix length above 32`;
  const address = octets.reduce((acc, o) => ((acc << 8) | o) >>> 0, 0);
  return { address, prefix };
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function hasHostBits(cidr: Ipv4Cidr): boolean {
  return ((cidr.address & ~maskOf(cidr.prefix)) >>> 0) !== 0;
}

/** Whether `inner` lies within `outer`. */
export function cidrContains(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  const mask = maskOf(outer.prefix);
  return inner.prefix >= outer.prefix && ((inner.address & mask) >>> 0) === ((outer.address & mask) >>> 0);
}
