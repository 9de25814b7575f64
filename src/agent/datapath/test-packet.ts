/**
 * Crafts Ethernet/IPv4/TCP|UDP|ICMP frames to run through the datapath with
 * BPF_PROG_TEST_RUN: datapath tests today, a "trace this packet through the
 * real program" feature later. Checksums are left zero: the programs never
 * check them and nothing is transmitted.
 */
import { ipv4ToBytes } from '../../protocol/cidr';
import { protocolNumber } from '../../protocol/ip-protocols';

/** The part of a packet an ICMP error quotes: IPv4 header + first 8 bytes of L4. */
export function icmpQuoteOf(packet: Uint8Array): Uint8Array {
  return packet.slice(14, 14 + 20 + 8);
}

export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

export interface TestPacketSpec {
  src: string;
  dst: string;
  protocol: 'tcp' | 'udp' | 'icmp';
  sport?: number;
  dport?: number;
  /** TCP flags byte; SYN when absent. */
  tcpFlags?: number;
  /** ICMP type (8 echo request when absent) and echo id. */
  icmpType?: number;
  icmpId?: number;
  /** For ICMP errors: the quoted packet (its IPv4 header and first 8 L4 bytes). */
  icmpQuote?: Uint8Array;
  /** Cut the frame to this many bytes, to exercise the datapath's bounds checks. */
  truncateTo?: number;
  /**
   * An IPv4 fragment of datagram `id`: `offset` in 8-byte units, `more` for
   * the MF flag. A fragment at offset 0 carries the L4 header; a later one
   * carries only payload (what the L4 header would have been followed by).
   */
  fragment?: { id: number; offset: number; more: boolean };
}

const ETH_LEN = 14;
const IP_LEN = 20;

export function craftTestPacket(spec: TestPacketSpec): Uint8Array {
  const later = (spec.fragment?.offset ?? 0) > 0;
  const l4Len = later ? 0 : spec.protocol === 'tcp' ? 20 : 8;
  const payload = spec.icmpQuote?.byteLength ?? 16;
  const frame = new Uint8Array(ETH_LEN + IP_LEN + l4Len + payload);
  const view = new DataView(frame.buffer);
  // Ethernet: locally administered MACs, EtherType IPv4.
  frame.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01], 0);
  view.setUint16(12, 0x0800);
  // IPv4 header, no options.
  const ip = ETH_LEN;
  frame[ip] = 0x45;
  view.setUint16(ip + 2, IP_LEN + l4Len + payload);
  if (spec.fragment) {
    view.setUint16(ip + 4, spec.fragment.id);
    view.setUint16(ip + 6, (spec.fragment.more ? 0x2000 : 0) | spec.fragment.offset);
  }
  frame[ip + 8] = 64;
  frame[ip + 9] = protocolNumber(spec.protocol);
  frame.set(ipv4ToBytes(spec.src), ip + 12);
  frame.set(ipv4ToBytes(spec.dst), ip + 16);
  const l4 = ip + IP_LEN;
  if (later) {
    // Payload only: the datapath must take this fragment's ports from the first one.
  } else if (spec.protocol === 'icmp') {
    frame[l4] = spec.icmpType ?? 8;
    view.setUint16(l4 + 4, spec.icmpId ?? 1);
    if (spec.icmpQuote) frame.set(spec.icmpQuote, l4 + 8);
  } else {
    view.setUint16(l4, spec.sport ?? 40000);
    view.setUint16(l4 + 2, spec.dport ?? 80);
    if (spec.protocol === 'tcp') {
      frame[l4 + 12] = 5 << 4;
      frame[l4 + 13] = spec.tcpFlags ?? TcpFlag.SYN;
      view.setUint16(l4 + 14, 65535);
    } else {
      view.setUint16(l4 + 4, 8 + payload);
    }
  }
  return spec.truncateTo === undefined ? frame : frame.slice(0, spec.truncateTo);
}
