/**
 * Turns a ring-buffer record (struct flow_event, bpf/lib/events.h) into a
 * RawFlow. Kernel time is CLOCK_MONOTONIC (bpf_ktime_get_ns), the same clock
 * as Node's process.hrtime on Linux, so wall-clock time is reconstructed from
 * the record's own timestamp rather than from when we happened to read it.
 */
import { IpProtocol } from '../../protocol/ip-protocols';
import type { RawFlow, RawMatch } from './types';
import { DIR_INGRESS, FlowEventLayout, MATCH_NAMES, VERDICT_DROPPED } from './layouts';

export function decodeFlowEvent(record: Uint8Array, nowMs = Date.now(), nowMonoNs = process.hrtime.bigint()): RawFlow {
  if (record.byteLength < FlowEventLayout.size) {
    throw new Error(`flow event of ${record.byteLength} bytes, expected ${FlowEventLayout.size}`);
  }
  return decodeFlowRecord(new DataView(record.buffer, record.byteOffset, record.byteLength), 0, nowMs, monoMs(nowMonoNs));
}

/** CLOCK_MONOTONIC now, in ms (what the kernel's bpf_ktime_get_ns counts). */
export function monotonicMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}

/** The record at `at` in `view` (a batch of records), read at wall clock nowMs = monotonic nowMonoMs. */
export function decodeFlowRecord(view: DataView, at: number, nowMs: number, nowMonoMs: number): RawFlow {
  const o = FlowEventLayout.offsets;
  const protocol = view.getUint8(at + o.protocol);
  return {
    ktimeNs: view.getBigUint64(at + o.ktime_ns, true),
    time: flowTimeMs(view, at, nowMs, nowMonoMs),
    verdict: view.getUint8(at + o.verdict) === VERDICT_DROPPED ? 'dropped' : 'forwarded',
    dropReason: view.getUint8(at + o.drop_reason),
    direction: view.getUint8(at + o.direction) === DIR_INGRESS ? 'ingress' : 'egress',
    endpointId: view.getUint32(at + o.endpoint_id, true),
    saddr: ipv4Text(view.getUint32(at + o.saddr, false)),
    daddr: ipv4Text(view.getUint32(at + o.daddr, false)),
    sport: flowSport(view, at, protocol),
    dport: flowDport(view, at, protocol),
    protocol,
    remoteIdentity: view.getUint32(at + o.remote_identity, true),
    match: (MATCH_NAMES[view.getUint8(at + o.match)] ?? 'none') as RawMatch,
    cookie: view.getUint32(at + o.cookie, true),
    tcpFlags: view.getUint8(at + o.tcp_flags),
    length: view.getUint32(at + o.length, true),
  };
}

/**
 * Wall-clock ms of the record at `at`: now minus the record's age. In float
 * ms, not BigInt: this runs for every packet in trace-all, and ms is all `time` keeps.
 */
export function flowTimeMs(view: DataView, at: number, nowMs: number, nowMonoMs: number): number {
  const k = at + FlowEventLayout.offsets.ktime_ns;
  const ktimeMs = (view.getUint32(k + 4, true) * 4294967296 + view.getUint32(k, true)) / 1e6;
  return nowMs - Math.max(0, Math.trunc(nowMonoMs - ktimeMs));
}

/** For ICMP the ports carry the echo id; the ICMP type is what policy matched as "port". */
export function flowSport(view: DataView, at: number, protocol: number): number {
  return protocol === IpProtocol.Icmp ? 0 : view.getUint16(at + FlowEventLayout.offsets.sport, true);
}

export function flowDport(view: DataView, at: number, protocol: number): number {
  return protocol === IpProtocol.Icmp ? view.getUint8(at + FlowEventLayout.offsets.icmp_type) : view.getUint16(at + FlowEventLayout.offsets.dport, true);
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
/** An address (host order u32, as read big-endian from the record) as dotted text. */
export function ipv4Text(key: number): string {
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
