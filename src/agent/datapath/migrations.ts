/**
 * Moving map contents from an older map set into a new one (map-sets.ts).
 *
 * - Maps the agent owns (endpoints, local endpoints, ipcache and policy slots, active slot)
 *   are never copied: they are rebuilt from the desired state.
 * - Maps with the same key and value size are copied as they are.
 * - A map whose layout changed is converted by a migration registered here
 *   (keyed by map name and old value size), or starts empty. Conntrack has
 *   one: an empty conntrack would drop replies of established connections
 *   at endpoints under policy.
 */
import { IpProtocol } from '../../protocol/ip-protocols';
import {
  CtEntryLayout, CtKeyLayout, encodeCtEntry, fromHex, LegacyCtEntryLayout, MapName, toHex,
} from './layouts';

export type Migration = (key: Uint8Array, value: Uint8Array) => [Uint8Array, Uint8Array] | undefined;

/** Conntrack lifetimes used for migrated entries (the defaults of bpf/lib/conntrack.h). */
const TCP_LIFETIME_NS = 21600n * 1_000_000_000n;
const NONTCP_LIFETIME_NS = 60n * 1_000_000_000n;
const CT_STATE_ESTABLISHED = 2;

/** Walking-skeleton ct_entry (no state, no expiry) → current ct_entry: established, expiring as if just seen. */
function legacyCtEntry(key: Uint8Array, value: Uint8Array): [Uint8Array, Uint8Array] | undefined {
  if (key.byteLength !== CtKeyLayout.size || value.byteLength !== LegacyCtEntryLayout.size) return undefined;
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const o = LegacyCtEntryLayout.offsets;
  const lastSeenNs = view.getBigUint64(o.last_seen_ns, true);
  const protocol = key[CtKeyLayout.offsets.protocol];
  const flags = view.getUint8(o.tcp_flags_seen);
  return [key, encodeCtEntry({
    createdNs: view.getBigUint64(o.created_ns, true),
    lastSeenNs,
    expiresNs: lastSeenNs + (protocol === IpProtocol.Tcp ? TCP_LIFETIME_NS : NONTCP_LIFETIME_NS),
    cookie: view.getUint32(o.cookie, true),
    packets: view.getUint32(o.packets, true),
    tcpFlagsOrig: flags,
    tcpFlagsReply: 0,
    state: CT_STATE_ESTABLISHED,
  })];
}

const MIGRATIONS: Record<string, Record<number, Migration>> = {
  [MapName.conntrack]: { [LegacyCtEntryLayout.size]: legacyCtEntry },
};

/** Maps rebuilt from the agent's desired state instead of copied. */
export const REBUILT_MAPS: ReadonlySet<string> = new Set([
  MapName.endpoints, MapName.localEndpoints, MapName.ipcache0, MapName.ipcache1, MapName.policy0, MapName.policy1, MapName.active,
  'ps_ipcache', 'ps_policy',
]);

export interface OldMap { keySize: number; valueSize: number; entries: [string, string][] }

/**
 * Entries (hex) for `name` in the new set, from the old set's map; undefined
 * when the map is not carried over (rebuilt, ring buffer, or a layout change
 * without a migration).
 */
export function migrateEntries(name: string, old: OldMap, newKeySize: number, newValueSize: number, perCpu: boolean): [string, string][] | undefined {
  if (REBUILT_MAPS.has(name) || name === MapName.events) return undefined;
  if (old.keySize === newKeySize && old.valueSize === newValueSize) return old.entries;
  const migrate = perCpu ? undefined : MIGRATIONS[name]?.[old.valueSize];
  if (!migrate) return undefined;
  const out: [string, string][] = [];
  for (const [k, v] of old.entries) {
    const converted = migrate(fromHex(k), fromHex(v));
    if (converted) out.push([toHex(converted[0]), toHex(converted[1])]);
  }
  return out;
}

export const CT_EXPIRES_OFFSET = CtEntryLayout.offsets.expires_ns;
