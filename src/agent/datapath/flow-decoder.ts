/**
 * Turns a ring-buffer record (struct flow_event, bpf/lib/events.h) into a
 * RawFlow. Kernel time is CLOCK_MONOTONIC (bpf_ktime_get_ns), the same clock
 * as Node's process.hrtime on Linux, so wall-clock time is reconstructed from
 * the record's own timestamp rather than from when we happened to read it.
 */
import type { RawFlow, RawMatch } from './types';
import { DIR_INGRESS, FlowEventLayout, MATCH_NAMES, VERDICT_DROPPED } from './layouts';

export function decodeFlowEvent(record: Uint8Array, nowMs = Date.now(), nowMonoNs = process.hrtime.bigint()): RawFlow {
  if (record.byteLength < FlowEventLayout.size) {
    throw new Error(`flow event of ${record.byteLength} bytes, expected ${FlowEventLayout.size}`);
  }
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  const o = FlowEventLayout.offsets;
  const ktimeNs = view.getBigUint64(o.ktime_ns, true);
  // In float ms, not BigInt division: this runs for every packet in trace-all, and ms is all `time` keeps.
  const ktimeMs = (view.getUint32(o.ktime_ns + 4, true) * 4294967296 + view.getUint32(o.ktime_ns, true)) / 1e6;
  const ageMs = Math.trunc(monoMs(nowMonoNs) - ktimeMs);
  const protocol = view.getUint8(o.protocol);
  const isIcmp = protocol === 1;
  return {
    ktimeNs,
    time: nowMs - Math.max(0, ageMs),
    verdict: view.getUint8(o.verdict) === VERDICT_DROPPED ? 'dropped' : 'forwarded',
    dropReason: view.getUint8(o.drop_reason),
    direction: view.getUint8(o.direction) === DIR_INGRESS ? 'ingress' : 'egress',
    endpointId: view.getUint32(o.endpoint_id, true),
    saddr: ipv4At(view, o.saddr),
    daddr: ipv4At(view, o.daddr),
    // For ICMP the ports carry the echo id; the ICMP type is what policy matched as "port".
    sport: isIcmp ? 0 : view.getUint16(o.sport, true),
    dport: isIcmp ? view.getUint8(o.icmp_type) : view.getUint16(o.dport, true),
    protocol,
    remoteIdentity: view.getUint32(o.remote_identity, true),
    match: (MATCH_NAMES[view.getUint8(o.match)] ?? 'none') as RawMatch,
    cookie: view.getUint32(o.cookie, true),
    tcpFlags: view.getUint8(o.tcp_flags),
    length: view.getUint32(o.length, true),
  };
}

/** The last `now` converted (callers decode a whole batch with one `now`). */
let lastMono = -1n;
let lastMonoMs = 0;
function monoMs(ns: bigint): number {
  if (ns !== lastMono) {
    lastMono = ns;
    lastMonoMs = Number(ns) / 1e6;
  }
  return lastMonoMs;
}

/** Dotted IPv4 text per address, built once: a lab has few addresses and trace-all sees them millions of times. */
const IPV4_TEXT = new Map<number, string>();
function ipv4At(view: DataView, offset: number): string {
  const key = view.getUint32(offset, false);
  let text = IPV4_TEXT.get(key);
  if (text === undefined) {
    text = `${key >>> 24}.${(key >>> 16) & 255}.${(key >>> 8) & 255}.${key & 255}`;
    if (IPV4_TEXT.size > 65_536) IPV4_TEXT.clear();
    IPV4_TEXT.set(key, text);
  }
  return text;
}

const TCP_FLAG_NAMES = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];

/** TCP flags byte as text, e.g. "SYN, ACK". */
export function describeTcpFlags(flags: number): string {
  return TCP_FLAG_NAMES.filter((_, bit) => flags & (1 << bit)).join(', ');
}
