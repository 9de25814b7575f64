/**
 * Counters of a lab's node namespace, read from outside the datapath: what the
 * node's own IP stack did, e.g. whether packets between workloads were routed
 * by it or delivered past it (bpf/lib/local_delivery.h).
 */
import { execFileSync } from 'node:child_process';
import { netnsPath } from '../../src/agent/lab/names';

/** IPv4 datagrams the node namespace has forwarded (/proc/net/snmp Ip ForwDatagrams). */
export function nodeForwardedDatagrams(nodeNetns: string): number {
  const snmp = execFileSync('nsenter', [`--net=${netnsPath(nodeNetns)}`, '--', 'cat', '/proc/net/snmp'], { encoding: 'utf8' });
  const [names, values] = snmp.split('\n').filter((l) => l.startsWith('Ip:')).map((l) => l.split(/\s+/));
  return Number(values![names!.indexOf('ForwDatagrams')]);
}
