/**
 * Byte layouts of the datapath's map keys, values and ring-buffer records,
 * mirrored from the block comments in bpf/lib/*.h. The C loader moves bytes
 * only; this module is the one place that gives them meaning.
 * test/kernel/datapath-layouts.test.ts checks every offset and size here
 * against the BTF of the compiled object, so a change on either side that
 * is not made on the other fails a test instead of corrupting a map.
 *
 * Integers are host (little-endian) order unless a field says otherwise;
 * IPv4 addresses are network order, as the kernel hands them over.
 */
import { ipv4ToBytes } from '../../protocol/cidr';

/** A C struct as seen from here: its size and the byte offset of each member. */
export interface StructLayout {
  /** The struct's name in bpf/lib (and in the object's BTF). */
  name: string;
  size: number;
  offsets: Record<string, number>;
}

export const IpcacheKeyLayout = { name: 'ipcache_key', size: 8, offsets: { prefixlen: 0, addr: 4 } } as const;
export const IpcacheEntryLayout = { name: 'ipcache_entry', size: 8, offsets: { identity: 0, flags: 4 } } as const;
export const EndpointInfoLayout = { name: 'endpoint_info', size: 8, offsets: { endpoint_id: 0, identity: 4 } } as const;
/** bpf/lib/local_delivery.h: an endpoint by its address (ps_lxc). */
export const LxcInfoLayout = { name: 'lxc_info', size: 20, offsets: { ifindex: 0, endpoint_id: 4, mac: 8, node_mac: 14 } } as const;
export const PolicyKeyLayout = {
  name: 'policy_key',
  size: 16,
  offsets: { prefixlen: 0, endpoint_id: 4, identity: 8, direction: 12, protocol: 13, dport: 14 },
} as const;
export const PolicyEntryLayout = { name: 'policy_entry', size: 8, offsets: { cookie: 0, deny: 4 } } as const;
export const CtKeyLayout = {
  name: 'ct_key',
  size: 20,
  offsets: { saddr: 0, daddr: 4, sport: 8, dport: 10, protocol: 12, direction: 13, endpoint_id: 16 },
} as const;
export const CtEntryLayout = {
  name: 'ct_entry',
  size: 40,
  offsets: {
    created_ns: 0, last_seen_ns: 8, expires_ns: 16, cookie: 24, packets: 28, tcp_flags_orig: 32,
    tcp_flags_reply: 33, state: 34,
  },
} as const;
/** The walking skeleton's ct_entry (32 bytes), migrated by migrations.ts. */
export const LegacyCtEntryLayout = {
  name: 'ct_entry', size: 32, offsets: { created_ns: 0, last_seen_ns: 8, cookie: 16, packets: 20, tcp_flags_seen: 24 },
} as const;
/** bpf/lib/fragments.h: a datagram's identity and the ports its first fragment carried. */
export const FragKeyLayout = { name: 'frag_key', size: 12, offsets: { saddr: 0, daddr: 4, id: 8, protocol: 10 } } as const;
export const FragPortsLayout = { name: 'frag_ports', size: 8, offsets: { sport: 0, dport: 2, icmp_type: 4 } } as const;
export const PolicyActiveLayout = { name: 'policy_active', size: 8, offsets: { slot: 0, generation: 4 } } as const;
export const FlowEventLayout = {
  name: 'flow_event',
  size: 48,
  offsets: {
    ktime_ns: 0, endpoint_id: 8, ifindex: 12, saddr: 16, daddr: 20, sport: 24, dport: 26,
    remote_identity: 28, cookie: 32, length: 36, verdict: 40, drop_reason: 41, direction: 42,
    match: 43, protocol: 44, tcp_flags: 45, icmp_type: 46,
  },
} as const;
export const ConfigLayout = {
  name: 'ps_config', size: 32, offsets: { trace_all: 0, ct_tcp_s: 4, ct_nontcp_s: 8, ct_syn_s: 12, ct_close_s: 16, route_local: 20 },
} as const;

export const ALL_LAYOUTS: readonly StructLayout[] = [
  IpcacheKeyLayout, IpcacheEntryLayout, EndpointInfoLayout, LxcInfoLayout, PolicyKeyLayout, PolicyEntryLayout,
  CtKeyLayout, CtEntryLayout, FlowEventLayout, ConfigLayout, PolicyActiveLayout, FragKeyLayout, FragPortsLayout,
];

/** Map names (bpf/lib/*.h); BPF object names are limited to 15 characters. */
export const MapName = {
  config: 'ps_config',
  endpoints: 'ps_endpoints',
  /** Local endpoints by IPv4 address, for local delivery (Cilium's lxc map). */
  localEndpoints: 'ps_lxc',
  /** Policy slot 0/1 pairs (ipcache + policy), switched by ps_active. */
  ipcache0: 'ps_ipcache0',
  ipcache1: 'ps_ipcache1',
  policy0: 'ps_policy0',
  policy1: 'ps_policy1',
  active: 'ps_active',
  conntrack: 'ps_ct',
  /** IPv4 fragment tracking (LRU): the ports of datagrams whose first fragment passed. */
  fragments: 'ps_frag',
  events: 'ps_events',
  counters: 'ps_counters',
  drops: 'ps_drops',
} as const;

export function ipcacheMapOf(slot: number): string { return slot ? MapName.ipcache1 : MapName.ipcache0; }
export function policyMapOf(slot: number): string { return slot ? MapName.policy1 : MapName.policy0; }

/** bpf/lib/policy.h: the remote identity of an endpoint's enforcement entry. */
export const IDENTITY_ENFORCEMENT = 0xffffffff;

/** bpf/lib/conntrack.h CT_STATE_* */
export const CT_STATE_NAMES: Record<number, string> = { 1: 'syn-sent', 2: 'established', 3: 'closing', 4: 'closed' };

/** Program names in bpf/bpf_lxc.c and the tcx hook of the host-side veth each runs at. */
export const Program = {
  /** Traffic into the workload: runs at tcx egress of the host-side veth. */
  toEndpoint: { name: 'to_endpoint', hook: 'egress' },
  /** Traffic out of the workload: runs at tcx ingress of the host-side veth. */
  fromEndpoint: { name: 'from_endpoint', hook: 'ingress' },
} as const;

/** bpf/lib/common.h DIR_* */
export const DIR_INGRESS = 0;
export const DIR_EGRESS = 1;

/** bpf/lib/policy.h: bits of endpoint_id + identity + direction, always matched. */
export const POLICY_STATIC_PREFIX = 72;
export const POLICY_FULL_PREFIX = POLICY_STATIC_PREFIX + 8 + 16;

/** bpf/lib/events.h */
export const VERDICT_FORWARDED = 1;
export const VERDICT_DROPPED = 2;
export const MATCH_NAMES = ['none', 'policy', 'default-allow', 'default-deny', 'ct-established', 'ct-reply'] as const;

/** bpf/lib/events.h enum counter_index */
export const COUNTER_NAMES = [
  'packets', 'forwarded', 'dropped', 'ringbufFull', 'notEndpoint', 'notIpv4', 'ctCreated', 'ctFull',
] as const;
export const COUNTER_RINGBUF_FULL = COUNTER_NAMES.indexOf('ringbufFull');

// ---- encoding helpers ------------------------------------------------------

export function bytesToIpv4(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

function struct(size: number): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(size);
  return { bytes, view: new DataView(bytes.buffer) };
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// ---- ipcache ------------------------------------------------------------

export function encodeIpcacheKey(prefixlen: number, addr: string): Uint8Array {
  const { bytes, view } = struct(IpcacheKeyLayout.size);
  view.setUint32(IpcacheKeyLayout.offsets.prefixlen, prefixlen, true);
  bytes.set(ipv4ToBytes(addr), IpcacheKeyLayout.offsets.addr);
  return bytes;
}

export function decodeIpcacheKey(bytes: Uint8Array): { prefixlen: number; addr: string } {
  return {
    prefixlen: viewOf(bytes).getUint32(IpcacheKeyLayout.offsets.prefixlen, true),
    addr: bytesToIpv4(bytes, IpcacheKeyLayout.offsets.addr),
  };
}

export function encodeIpcacheEntry(identity: number): Uint8Array {
  const { bytes, view } = struct(IpcacheEntryLayout.size);
  view.setUint32(IpcacheEntryLayout.offsets.identity, identity, true);
  return bytes;
}

export function decodeIpcacheEntry(bytes: Uint8Array): { identity: number } {
  return { identity: viewOf(bytes).getUint32(IpcacheEntryLayout.offsets.identity, true) };
}

// ---- endpoints ----------------------------------------------------------

export interface EndpointInfo {
  endpointId: number;
  identity: number;
}

export function encodeU32(value: number): Uint8Array {
  const { bytes, view } = struct(4);
  view.setUint32(0, value, true);
  return bytes;
}

export function decodeU32(bytes: Uint8Array, offset = 0): number {
  return viewOf(bytes).getUint32(offset, true);
}

export function encodeEndpointInfo(info: EndpointInfo): Uint8Array {
  const { bytes, view } = struct(EndpointInfoLayout.size);
  const o = EndpointInfoLayout.offsets;
  view.setUint32(o.endpoint_id, info.endpointId, true);
  view.setUint32(o.identity, info.identity, true);
  return bytes;
}

export function decodeEndpointInfo(bytes: Uint8Array): EndpointInfo {
  const view = viewOf(bytes);
  const o = EndpointInfoLayout.offsets;
  return {
    endpointId: view.getUint32(o.endpoint_id, true),
    identity: view.getUint32(o.identity, true),
  };
}

// ---- local endpoints (ps_lxc) ---------------------------------------------

export interface LxcInfo {
  ifindex: number;
  endpointId: number;
  /** The workload's side of the veth (eth0), aa:bb:cc:dd:ee:ff. */
  mac: string;
  /** The node's side of the veth. */
  nodeMac: string;
}

export function macToBytes(mac: string): Uint8Array {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new Error(`not a MAC address: ${mac}`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export function bytesToMac(bytes: Uint8Array, offset = 0): string {
  return [...bytes.subarray(offset, offset + 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export function encodeLxcInfo(info: LxcInfo): Uint8Array {
  const { bytes, view } = struct(LxcInfoLayout.size);
  const o = LxcInfoLayout.offsets;
  view.setUint32(o.ifindex, info.ifindex, true);
  view.setUint32(o.endpoint_id, info.endpointId, true);
  bytes.set(macToBytes(info.mac), o.mac);
  bytes.set(macToBytes(info.nodeMac), o.node_mac);
  return bytes;
}

export function decodeLxcInfo(bytes: Uint8Array): LxcInfo {
  const view = viewOf(bytes);
  const o = LxcInfoLayout.offsets;
  return {
    ifindex: view.getUint32(o.ifindex, true), endpointId: view.getUint32(o.endpoint_id, true),
    mac: bytesToMac(bytes, o.mac), nodeMac: bytesToMac(bytes, o.node_mac),
  };
}

// ---- policy -------------------------------------------------------------

/** One policy map entry, as policy-entries.ts resolves it. */
export interface PolicyMapEntry {
  /** Bits matched after prefixlen: POLICY_STATIC_PREFIX .. POLICY_FULL_PREFIX. */
  prefixlen: number;
  endpointId: number;
  identity: number;
  direction: number;
  protocol: number;
  /** Port (or ICMP type), masked to the prefix. */
  port: number;
  deny: boolean;
  cookie: number;
}

export function encodePolicyKey(e: Omit<PolicyMapEntry, 'deny' | 'cookie'>): Uint8Array {
  const { bytes, view } = struct(PolicyKeyLayout.size);
  const o = PolicyKeyLayout.offsets;
  view.setUint32(o.prefixlen, e.prefixlen, true);
  view.setUint32(o.endpoint_id, e.endpointId, true);
  view.setUint32(o.identity, e.identity, true);
  view.setUint8(o.direction, e.direction);
  view.setUint8(o.protocol, e.protocol);
  view.setUint16(o.dport, e.port, false);
  return bytes;
}

export function decodePolicyKey(bytes: Uint8Array): Omit<PolicyMapEntry, 'deny' | 'cookie'> {
  const view = viewOf(bytes);
  const o = PolicyKeyLayout.offsets;
  return {
    prefixlen: view.getUint32(o.prefixlen, true),
    endpointId: view.getUint32(o.endpoint_id, true),
    identity: view.getUint32(o.identity, true),
    direction: view.getUint8(o.direction),
    protocol: view.getUint8(o.protocol),
    port: view.getUint16(o.dport, false),
  };
}

export function encodePolicyEntry(e: { deny: boolean; cookie: number }): Uint8Array {
  const { bytes, view } = struct(PolicyEntryLayout.size);
  view.setUint32(PolicyEntryLayout.offsets.cookie, e.cookie >>> 0, true);
  view.setUint8(PolicyEntryLayout.offsets.deny, e.deny ? 1 : 0);
  return bytes;
}

export function decodePolicyEntry(bytes: Uint8Array): { deny: boolean; cookie: number } {
  const view = viewOf(bytes);
  return {
    cookie: view.getUint32(PolicyEntryLayout.offsets.cookie, true),
    deny: view.getUint8(PolicyEntryLayout.offsets.deny) !== 0,
  };
}

// ---- conntrack ------------------------------------------------------------

export function decodeCtKey(bytes: Uint8Array) {
  const view = viewOf(bytes);
  const o = CtKeyLayout.offsets;
  return {
    saddr: bytesToIpv4(bytes, o.saddr),
    daddr: bytesToIpv4(bytes, o.daddr),
    sport: view.getUint16(o.sport, true),
    dport: view.getUint16(o.dport, true),
    protocol: view.getUint8(o.protocol),
    direction: view.getUint8(o.direction) === DIR_INGRESS ? 'ingress' : 'egress',
    endpointId: view.getUint32(o.endpoint_id, true),
  };
}

export function decodeFragKey(bytes: Uint8Array) {
  const view = viewOf(bytes);
  const o = FragKeyLayout.offsets;
  return {
    saddr: bytesToIpv4(bytes, o.saddr),
    daddr: bytesToIpv4(bytes, o.daddr),
    ipId: view.getUint16(o.id, false),
    protocol: view.getUint8(o.protocol),
  };
}

export function decodeFragPorts(bytes: Uint8Array) {
  const view = viewOf(bytes);
  const o = FragPortsLayout.offsets;
  return { sport: view.getUint16(o.sport, true), dport: view.getUint16(o.dport, true), icmpType: view.getUint8(o.icmp_type) };
}

export interface CtEntry {
  createdNs: bigint;
  lastSeenNs: bigint;
  /** CLOCK_MONOTONIC ns; 0: never. */
  expiresNs: bigint;
  cookie: number;
  packets: number;
  tcpFlagsOrig: number;
  tcpFlagsReply: number;
  state: number;
}

export function decodeCtEntry(bytes: Uint8Array): CtEntry {
  const view = viewOf(bytes);
  const o = CtEntryLayout.offsets;
  return {
    createdNs: view.getBigUint64(o.created_ns, true),
    lastSeenNs: view.getBigUint64(o.last_seen_ns, true),
    expiresNs: view.getBigUint64(o.expires_ns, true),
    cookie: view.getUint32(o.cookie, true),
    packets: view.getUint32(o.packets, true),
    tcpFlagsOrig: view.getUint8(o.tcp_flags_orig),
    tcpFlagsReply: view.getUint8(o.tcp_flags_reply),
    state: view.getUint8(o.state),
  };
}

export function encodeCtEntry(e: CtEntry): Uint8Array {
  const { bytes, view } = struct(CtEntryLayout.size);
  const o = CtEntryLayout.offsets;
  view.setBigUint64(o.created_ns, e.createdNs, true);
  view.setBigUint64(o.last_seen_ns, e.lastSeenNs, true);
  view.setBigUint64(o.expires_ns, e.expiresNs, true);
  view.setUint32(o.cookie, e.cookie >>> 0, true);
  view.setUint32(o.packets, e.packets >>> 0, true);
  view.setUint8(o.tcp_flags_orig, e.tcpFlagsOrig);
  view.setUint8(o.tcp_flags_reply, e.tcpFlagsReply);
  view.setUint8(o.state, e.state);
  return bytes;
}

// ---- active policy slot ------------------------------------------------------

export function encodePolicyActive(a: { slot: number; generation: number }): Uint8Array {
  const { bytes, view } = struct(PolicyActiveLayout.size);
  view.setUint32(PolicyActiveLayout.offsets.slot, a.slot, true);
  view.setUint32(PolicyActiveLayout.offsets.generation, a.generation >>> 0, true);
  return bytes;
}

export function decodePolicyActive(bytes: Uint8Array): { slot: number; generation: number } {
  const view = viewOf(bytes);
  return { slot: view.getUint32(PolicyActiveLayout.offsets.slot, true), generation: view.getUint32(PolicyActiveLayout.offsets.generation, true) };
}

// ---- config -----------------------------------------------------------------

/** Runtime configuration (bpf/lib/config.h); conntrack lifetimes in seconds, 0 = Cilium's default. */
export interface DatapathConfig {
  traceAll: boolean;
  ctTcpSeconds?: number;
  ctNonTcpSeconds?: number;
  ctSynSeconds?: number;
  ctCloseSeconds?: number;
  /** Hand packets between this node's endpoints to the node's routing instead of delivering them directly. */
  routeLocal?: boolean;
}

export function encodeConfig(c: DatapathConfig): Uint8Array {
  const { bytes, view } = struct(ConfigLayout.size);
  const o = ConfigLayout.offsets;
  view.setUint32(o.trace_all, c.traceAll ? 1 : 0, true);
  view.setUint32(o.ct_tcp_s, c.ctTcpSeconds ?? 0, true);
  view.setUint32(o.ct_nontcp_s, c.ctNonTcpSeconds ?? 0, true);
  view.setUint32(o.ct_syn_s, c.ctSynSeconds ?? 0, true);
  view.setUint32(o.ct_close_s, c.ctCloseSeconds ?? 0, true);
  view.setUint32(o.route_local, c.routeLocal ? 1 : 0, true);
  return bytes;
}

export function decodeConfig(bytes: Uint8Array): DatapathConfig {
  const view = viewOf(bytes);
  const o = ConfigLayout.offsets;
  const out: DatapathConfig = { traceAll: view.getUint32(o.trace_all, true) !== 0 };
  if (bytes.byteLength >= ConfigLayout.size) {
    out.ctTcpSeconds = view.getUint32(o.ct_tcp_s, true);
    out.ctNonTcpSeconds = view.getUint32(o.ct_nontcp_s, true);
    out.ctSynSeconds = view.getUint32(o.ct_syn_s, true);
    out.ctCloseSeconds = view.getUint32(o.ct_close_s, true);
    out.routeLocal = view.getUint32(o.route_local, true) !== 0;
  }
  return out;
}

/** Sums a per-CPU u64 value (the loader concatenates every CPU's 8-byte slot). */
export function sumPerCpuU64(bytes: Uint8Array): bigint {
  const view = viewOf(bytes);
  let sum = 0n;
  for (let off = 0; off + 8 <= bytes.byteLength; off += 8) sum += view.getBigUint64(off, true);
  return sum;
}
