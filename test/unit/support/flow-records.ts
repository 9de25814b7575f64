/**
 * Ring-buffer flow records (struct flow_event) built in user space, for
 * tests and benchmarks of the agent's side of the event pipeline without a
 * kernel. Field names are those of FlowEventLayout.
 */
import { ipv4ToBytes } from '../../../src/protocol/cidr';
import { DIR_EGRESS, DIR_INGRESS, FlowEventLayout, MATCH_NAMES, VERDICT_DROPPED, VERDICT_FORWARDED } from '../../../src/agent/datapath/layouts';

export interface RecordFields {
  ktimeMs: number; endpointId: number; ifindex: number; saddr: string; daddr: string; sport: number; dport: number;
  remoteIdentity: number; cookie: number; length: number; dropped: boolean; dropReason: number;
  ingress: boolean; match: (typeof MATCH_NAMES)[number]; protocol: number; tcpFlags: number; icmpType: number;
}

const DEFAULTS: RecordFields = {
  ktimeMs: 1000, endpointId: 2, ifindex: 0, saddr: '10.244.0.2', daddr: '10.244.0.3', sport: 40000, dport: 9000, remoteIdentity: 256,
  cookie: 0, length: 64, dropped: false, dropReason: 0, ingress: true, match: 'default-allow', protocol: 17, tcpFlags: 0, icmpType: 0,
};

/** `records` concatenated, one struct flow_event each. */
export function flowRecords(records: Partial<RecordFields>[]): Uint8Array {
  const size = FlowEventLayout.size;
  const o = FlowEventLayout.offsets;
  const out = new Uint8Array(records.length * size);
  const v = new DataView(out.buffer);
  records.forEach((partial, i) => {
    const r = { ...DEFAULTS, ...partial };
    const at = i * size;
    v.setBigUint64(at + o.ktime_ns, BigInt(Math.round(r.ktimeMs * 1e6)), true);
    v.setUint32(at + o.endpoint_id, r.endpointId, true);
    v.setUint32(at + o.ifindex, r.ifindex, true);
    out.set(ipv4ToBytes(r.saddr), at + o.saddr);
    out.set(ipv4ToBytes(r.daddr), at + o.daddr);
    v.setUint16(at + o.sport, r.sport, true);
    v.setUint16(at + o.dport, r.dport, true);
    v.setUint32(at + o.remote_identity, r.remoteIdentity, true);
    v.setUint32(at + o.cookie, r.cookie, true);
    v.setUint32(at + o.length, r.length, true);
    v.setUint8(at + o.verdict, r.dropped ? VERDICT_DROPPED : VERDICT_FORWARDED);
    v.setUint8(at + o.drop_reason, r.dropReason);
    v.setUint8(at + o.direction, r.ingress ? DIR_INGRESS : DIR_EGRESS);
    v.setUint8(at + o.match, MATCH_NAMES.indexOf(r.match));
    v.setUint8(at + o.protocol, r.protocol);
    v.setUint8(at + o.tcp_flags, r.tcpFlags);
    v.setUint8(at + o.icmp_type, r.icmpType);
  });
  return out;
}
