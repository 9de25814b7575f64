/**
 * From the agent's policy entries (rules resolved to endpoint × identity ×
 * port range) to the exact set of ps_policy LPM entries.
 *
 * Two things happen here that the datapath relies on:
 * - Port ranges become prefixes of the 16-bit port (9000-9100 is 9000/13,
 *   9008/11, … ) and "any protocol with a port" becomes one entry per port
 *   protocol, because a trie prefix cannot skip the protocol byte.
 * - Deny wins: an allow that a deny of the same endpoint, direction and
 *   identity covers is written as that deny, so the longest prefix the kernel
 *   finds is never a wrong allow. Across the exact and the wildcard identity
 *   the datapath itself lets a deny win (bpf/lib/policy.h policy_lookup()).
 */
import { IpProtocol } from '../../protocol/ip-protocols';
import type { PolicyEntry } from './types';
import { DIR_EGRESS, DIR_INGRESS, POLICY_STATIC_PREFIX, type PolicyMapEntry } from './layouts';

/** Protocols a port without a protocol applies to (Cilium's "ANY" with a port). */
const PORT_PROTOCOLS = [IpProtocol.Tcp, IpProtocol.Udp];

/** A prefix of the 16-bit port: the first `bits` bits of `value`. */
export interface PortPrefix { value: number; bits: number }

/** The smallest set of prefixes whose union is exactly [start, end]. */
export function portRangeToPrefixes(start: number, end: number): PortPrefix[] {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > 0xffff || start > end) {
    throw new RangeError(`bad port range ${start}-${end}`);
  }
  const out: PortPrefix[] = [];
  let cur = start;
  while (cur <= end) {
    // Largest aligned block starting at cur that stays inside the range.
    let size = cur === 0 ? 0x10000 : cur & -cur;
    while (size > end - cur + 1) size /= 2;
    out.push({ value: cur, bits: 16 - Math.log2(size) });
    cur += size;
  }
  return out;
}

/**
 * One entry's protocol/port part as a prefix of the 24 bits protocol|port:
 * `len` 0 is any protocol, 8 a protocol with any port, 8 + n a port prefix.
 */
interface L4Prefix { protocol: number; port: number; len: number }

function l4Prefixes(entry: PolicyEntry): L4Prefix[] {
  // For ICMP the "port" is the type, and type 0 (echo-reply) is a real one: 0..0 is exactly it there.
  const anyPort = entry.portStart === 0 && (entry.portEnd === 0xffff || (entry.portEnd === 0 && entry.protocol !== IpProtocol.Icmp));
  if (entry.protocol === 0 && anyPort) return [{ protocol: 0, port: 0, len: 0 }];
  const protocols = entry.protocol === 0 ? PORT_PROTOCOLS : [entry.protocol];
  if (anyPort) return protocols.map((protocol) => ({ protocol, port: 0, len: 8 }));
  // A single port may come as start..0 or start..start.
  const end = entry.portEnd < entry.portStart ? entry.portStart : entry.portEnd;
  const ports = portRangeToPrefixes(entry.portStart, end);
  return protocols.flatMap((protocol) => ports.map((p) => ({ protocol, port: p.value, len: 8 + p.bits })));
}

/** Whether prefix a covers prefix b (b is equal to or narrower than a). */
function covers(a: L4Prefix, b: L4Prefix): boolean {
  if (a.len > b.len) return false;
  const shift = 24 - a.len;
  const bitsA = ((a.protocol << 16) | a.port) >>> 0;
  const bitsB = ((b.protocol << 16) | b.port) >>> 0;
  return shift >= 24 || bitsA >>> shift === bitsB >>> shift;
}

interface Candidate extends L4Prefix { deny: boolean; cookie: number }

/** Resolves policy entries into ps_policy entries, deny precedence applied. */
export function resolvePolicyEntries(entries: readonly PolicyEntry[]): PolicyMapEntry[] {
  // Group by what a single trie lookup compares exactly.
  const groups = new Map<string, { endpointId: number; direction: number; identity: number; items: Map<string, Candidate> }>();
  for (const entry of entries) {
    const direction = entry.direction === 'ingress' ? DIR_INGRESS : DIR_EGRESS;
    const gk = `${entry.endpointId}/${direction}/${entry.identity}`;
    let group = groups.get(gk);
    if (!group) {
      group = { endpointId: entry.endpointId, direction, identity: entry.identity, items: new Map() };
      groups.set(gk, group);
    }
    const deny = entry.action === 'deny';
    for (const p of l4Prefixes(entry)) {
      const ik = `${p.protocol}/${p.port}/${p.len}`;
      const existing = group.items.get(ik);
      // Same key twice: a deny beats an allow; otherwise the first rule keeps it.
      if (!existing || (deny && !existing.deny)) group.items.set(ik, { ...p, deny, cookie: entry.cookie });
    }
  }

  const out: PolicyMapEntry[] = [];
  for (const group of groups.values()) {
    const denies = [...group.items.values()].filter((c) => c.deny);
    for (const c of group.items.values()) {
      let result = c;
      if (!c.deny) {
        // The most specific deny covering this allow is what the kernel would find without it.
        const coveringDeny = denies.filter((d) => covers(d, c)).sort((a, b) => b.len - a.len)[0];
        if (coveringDeny) result = { ...c, deny: true, cookie: coveringDeny.cookie };
      }
      out.push({
        prefixlen: POLICY_STATIC_PREFIX + result.len,
        endpointId: group.endpointId,
        identity: group.identity,
        direction: group.direction,
        protocol: result.protocol,
        port: result.port,
        deny: result.deny,
        cookie: result.cookie,
      });
    }
  }
  return out;
}
