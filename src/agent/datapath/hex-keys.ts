/**
 * Hex forms of the policy map's key and value, built from numbers with a
 * byte table instead of a DataView and a Buffer per entry: a 10,000-rule
 * policy is turned into these strings on every apply (the agent diffs maps by
 * their hex keys), so this is on the path from the RPC call to the new
 * verdict. Byte for byte the same as toHex(encodePolicyKey(e)) and
 * toHex(encodePolicyEntry(e)) (test/unit/datapath-hex-keys.test.ts).
 */
import type { PolicyMapEntry } from './layouts';

const BYTE_HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

function u32le(x: number): string {
  return BYTE_HEX[x & 255]! + BYTE_HEX[(x >>> 8) & 255]! + BYTE_HEX[(x >>> 16) & 255]! + BYTE_HEX[x >>> 24]!;
}

/** struct policy_key: prefixlen, endpoint_id, identity (u32 LE), direction, protocol (u8), dport (u16 BE). */
export function policyKeyHex(e: Omit<PolicyMapEntry, 'deny' | 'cookie'>): string {
  return u32le(e.prefixlen >>> 0) + u32le(e.endpointId >>> 0) + u32le(e.identity >>> 0) +
    BYTE_HEX[e.direction & 255]! + BYTE_HEX[e.protocol & 255]! + BYTE_HEX[(e.port >>> 8) & 255]! + BYTE_HEX[e.port & 255]!;
}

/** struct policy_entry: cookie (u32 LE), deny (u8), 3 bytes of padding. */
export function policyEntryHex(e: { deny: boolean; cookie: number }): string {
  return u32le(e.cookie >>> 0) + (e.deny ? '01' : '00') + '000000';
}
