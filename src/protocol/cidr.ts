/**
 * CIDRs and addresses, parsed once for the language server (validation, the
 * static evaluator), the agent (RPC validation, peer identities) and the
 * datapath (ipcache keys). ipaddr.js does the parsing, so IPv6 is one switch
 * away; the lab datapath is IPv4-only for now, so IPv6 is refused here with
 * that reason rather than as a typo.
 */
import ipaddr from 'ipaddr.js';

export interface Cidr {
  /** The network address, host bits cleared: `10.0.0.0` for `10.1.2.3/8`. */
  readonly network: string;
  readonly prefixLength: number;
  /** The text had bits set past the prefix (`10.1.2.3/8`); the prefix is what matches. */
  readonly hostBits: boolean;
  readonly address: ipaddr.IPv4;
}

/** What is wrong with a CIDR's text, in words that name the text. */
export class CidrError extends Error {}

const IPV4_SHAPE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** `a.b.c.d/len`, or a bare address meaning `/32`. Throws a CidrError saying what is wrong. */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const lengthText = slash < 0 ? '32' : text.slice(slash + 1);
  if (ipaddr.IPv6.isValid(addressText)) throw new CidrError(`'${text}' is IPv6; the lab datapath is IPv4-only for now`);
  const address = parseIpv4(addressText, text);
  if (!/^\d{1,2}$/.test(lengthText)) throw new CidrError(`'${text}' is not an IPv4 CIDR (a.b.c.d/len)`);
  const prefixLength = Number(lengthText);
  if (prefixLength > 32) throw new CidrError(`'${text}' has a prefix length above 32`);
  const network = ipaddr.IPv4.networkAddressFromCIDR(`${address.toString()}/${prefixLength}`);
  return { network: network.toString(), prefixLength, hostBits: network.toString() !== address.toString(), address: network };
}

/** parseCidr, with the error returned instead of thrown (validators report it and go on). */
export function tryParseCidr(text: string): Cidr | CidrError {
  try {
    return parseCidr(text);
  } catch (error) {
    if (error instanceof CidrError) return error;
    throw error;
  }
}

/** The normalised text: `10.0.0.0/8` for `10.1.2.3/8` and for `10.0.0.0/8`. */
export function cidrText(cidr: Cidr): string {
  return `${cidr.network}/${cidr.prefixLength}`;
}

/** Whether `inner` lies entirely within `outer`. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return inner.prefixLength >= outer.prefixLength && inner.address.match(outer.address, outer.prefixLength);
}

/** An IPv4 address's four bytes in network order, as map keys and packets carry it. */
export function ipv4ToBytes(ip: string): Uint8Array {
  return Uint8Array.from(parseIpv4(ip, ip).octets);
}

/** Dotted decimal only: ipaddr.js alone would also take `10.1` or `0x0a.0.0.1`, which no one means in a policy. */
function parseIpv4(address: string, text: string): ipaddr.IPv4 {
  const octets = IPV4_SHAPE.exec(address);
  if (!octets) throw new CidrError(`'${text}' is not an IPv4 address or CIDR (a.b.c.d/len)`);
  if (octets.slice(1).some((o) => Number(o) > 255)) throw new CidrError(`'${text}' has an octet above 255`);
  return new ipaddr.IPv4(octets.slice(1).map(Number));
}
