/**
 * Reads the fields of ring-buffer flow records (struct flow_event,
 * bpf/lib/events.h) in place: one reader is moved from record to record of a
 * FlowRecordBatch and its getters read that record, so a consumer gets
 * fields, never offsets, and no object is made per record. This file and
 * layouts.ts are the only places that know the record's layout.
 *
 * Kernel time is CLOCK_MONOTONIC (bpf_ktime_get_ns), the same clock as
 * Node's process.hrtime on Linux, so wall-clock time is reconstructed from
 * the record's own timestamp rather than from when we happened to read it.
 */
import type { FlowMatch } from '../../protocol/flow-event';
import { IpProtocol } from '../../protocol/ip-protocols';
import { DIR_INGRESS, FlowEventLayout, MATCH_NAMES, VERDICT_DROPPED } from './layouts';
import type { FlowRecordBatch } from './types';

const O = FlowEventLayout.offsets;
const EMPTY: DataView = new DataView(new ArrayBuffer(0));

export class FlowRecordReader {
  private view = EMPTY;
  private size: number = FlowEventLayout.size;
  private nowMs = 0;
  private nowMonoMs = 0;
  /** Byte offset of the current record. */
  private at = 0;

  /** Reads `batch` from its first record on; throws when its records are not flow_event records. */
  read(batch: FlowRecordBatch): this {
    if (batch.size < FlowEventLayout.size) throw new Error(`flow records of ${batch.size} bytes, expected ${FlowEventLayout.size}`);
    this.view = new DataView(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength);
    this.size = batch.size;
    this.nowMs = batch.nowMs;
    this.nowMonoMs = batch.nowMonoMs;
    this.at = 0;
    return this;
  }

  /** Moves to record `i` of the batch. */
  seek(i: number): this {
    this.at = i * this.size;
    return this;
  }

  /**
   * Wall-clock ms: now minus the record's age. In float ms, not BigInt: this
   * runs for every packet in trace-all, and ms is all a flow's time keeps.
   */
  get timeMs(): number {
    const k = this.at + O.ktime_ns;
    const ktimeMs = (this.view.getUint32(k + 4, true) * 4294967296 + this.view.getUint32(k, true)) / 1e6;
    return this.nowMs - Math.max(0, Math.trunc(this.nowMonoMs - ktimeMs));
  }

  get dropped(): boolean { return this.view.getUint8(this.at + O.verdict) === VERDICT_DROPPED; }
  /** Cilium's drop reason (drop-reasons.ts); 0 when forwarded. */
  get dropReason(): number { return this.view.getUint8(this.at + O.drop_reason); }
  /** Relative to the endpoint: into the workload (true) or out of it. */
  get ingress(): boolean { return this.view.getUint8(this.at + O.direction) === DIR_INGRESS; }
  get endpointId(): number { return this.view.getUint32(this.at + O.endpoint_id, true); }
  /** The interface the packet was seen on (skb->ifindex): in the node namespace, a host-side veth. */
  get ifindex(): number { return this.view.getUint32(this.at + O.ifindex, true); }
  /** IPv4 addresses as host-order numbers (ipv4Text gives the dotted form). */
  get saddr(): number { return this.view.getUint32(this.at + O.saddr, false); }
  get daddr(): number { return this.view.getUint32(this.at + O.daddr, false); }
  /** IP protocol number. */
  get protocol(): number { return this.view.getUint8(this.at + O.protocol); }
  /** For ICMP the ports carry the echo id: 0 here. */
  get srcPort(): number { return this.protocol === IpProtocol.Icmp ? 0 : this.view.getUint16(this.at + O.sport, true); }
  /** For ICMP the type, which is what policy matched as "port". */
  get dstPort(): number { return this.protocol === IpProtocol.Icmp ? this.view.getUint8(this.at + O.icmp_type) : this.view.getUint16(this.at + O.dport, true); }
  /** Identity of the remote end used for the policy lookup. */
  get remoteIdentity(): number { return this.view.getUint32(this.at + O.remote_identity, true); }
  get match(): FlowMatch { return MATCH_NAMES[this.view.getUint8(this.at + O.match)] ?? 'none'; }
  /** The deciding rule's cookie, or for a default deny the policy's. */
  get cookie(): number { return this.view.getUint32(this.at + O.cookie, true); }
  /** The TCP flags byte (tcpFlagsText gives it as text). */
  get tcpFlags(): number { return this.view.getUint8(this.at + O.tcp_flags); }
  /** Packet length in bytes. */
  get length(): number { return this.view.getUint32(this.at + O.length, true); }
}

/** CLOCK_MONOTONIC now, in ms (what the kernel's bpf_ktime_get_ns counts). */
export function monotonicMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
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
