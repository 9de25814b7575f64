/**
 * Flow events as Hubble's `hubble observe -o jsonpb` lines (observer
 * GetFlowsResponse: `{"flow":{…},"node_name":…,"time":…}`), so exported flows
 * open in the tools people already use for Hubble output (hubble observe
 * --input-file, jq recipes, Grafana). Field names follow flow.proto's JSON
 * mapping; only what the datapath knows is filled in.
 */
import type { IdentityInfo } from '../../protocol/agent-rpc';
import type { FlowEndpoint, FlowEvent } from '../../protocol/flow-event';
import { reservedIdentityLabels, reservedIdentityName } from '../../protocol/identities';
import { LabelSource, NAMESPACE_LABEL } from '../../protocol/labels';
import type { Labels } from '../../protocol/policy-ir';

/** flow.proto's DropReason enum names for the codes the datapath reports. */
const DROP_REASON_DESC: Record<number, string> = {
  133: 'POLICY_DENIED',
  134: 'INVALID_PACKET',
  135: 'CT_TRUNCATED_OR_INVALID_HEADER',
  137: 'CT_UNKNOWN_L4_PROTOCOL',
  140: 'MISSED_TAIL_CALL',
  141: 'ERROR_WRITING_TO_PACKET',
  175: 'FIRST_LOGICAL_DATAGRAM_FRAGMENT_NOT_FOUND',
  181: 'POLICY_DENY',
};

function hubbleLabels(identity: number, labels: Labels | undefined): string[] {
  const reserved = reservedIdentityLabels(identity);
  if (reserved) return Object.keys(reserved);
  if (!labels) return [];
  return Object.entries(labels).map(([k, v]) => `${LabelSource.Kubernetes}:${k}=${v}`).sort();
}

function hubbleEndpoint(e: FlowEndpoint, labels: Labels | undefined, podName: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { identity: e.identity, labels: hubbleLabels(e.identity, labels) };
  const [namespace, workload] = e.workload?.includes('/') ? e.workload.split('/', 2) : [labels?.[NAMESPACE_LABEL], e.workload];
  const entity = reservedIdentityName(e.identity) !== undefined;
  if (namespace && !entity) out.namespace = namespace;
  if (podName) out.pod_name = podName;
  if (workload && !entity) out.workloads = [{ name: workload, kind: 'Deployment' }];
  return out;
}

function tcpFlags(text: string | undefined): Record<string, boolean> | undefined {
  if (!text) return undefined;
  const flags: Record<string, boolean> = {};
  for (const f of text.toUpperCase().split(/[\s,|]+/)) if (f) flags[f] = true;
  return flags;
}

function l4(flow: FlowEvent): Record<string, unknown> {
  switch (flow.protocol) {
    case 'tcp': return { TCP: { source_port: flow.src.port, destination_port: flow.dst.port, flags: tcpFlags(flow.tcpFlags) } };
    case 'udp': return { UDP: { source_port: flow.src.port, destination_port: flow.dst.port } };
    // ICMP events carry type/code in the port fields (src = type, dst = code) as Cilium's do.
    case 'icmp': return { ICMPv4: { type: flow.src.port, code: flow.dst.port } };
    default: return {};
  }
}

/** The enforcing endpoint's pod name (`<ns>/<workload>-<n>` → `<workload>-<n>`), for the side it is on. */
function podNames(flow: FlowEvent): { src?: string; dst?: string } {
  const pod = flow.endpoint?.split('/').pop();
  return flow.direction === 'ingress' ? { dst: pod } : { src: pod };
}

function summary(flow: FlowEvent): string {
  if (flow.protocol === 'tcp') return flow.tcpFlags ? `TCP Flags: ${flow.tcpFlags.toUpperCase().split(/[\s,|]+/).join(', ')}` : 'TCP';
  return flow.protocol.toUpperCase();
}

export function toHubbleFlow(flow: FlowEvent, identities: ReadonlyMap<number, Labels>, nodeName: string): Record<string, unknown> {
  const time = new Date(flow.time).toISOString();
  const pods = podNames(flow);
  const dropped = flow.verdict === 'dropped';
  const out: Record<string, unknown> = {
    time,
    verdict: dropped ? 'DROPPED' : 'FORWARDED',
    ...(dropped ? { drop_reason: flow.dropReason } : {}),
    IP: { source: flow.src.ip, destination: flow.dst.ip, ipVersion: 'IPv4' },
    l4: l4(flow),
    source: hubbleEndpoint(flow.src, identities.get(flow.src.identity), pods.src),
    destination: hubbleEndpoint(flow.dst, identities.get(flow.dst.identity), pods.dst),
    Type: 'L3_L4',
    node_name: nodeName,
    // MessageTypeDrop = 1, MessageTypePolicyVerdict = 5 (a new connection's verdict).
    event_type: dropped ? { type: 1, sub_type: flow.dropReason } : { type: 5 },
    traffic_direction: flow.direction === 'ingress' ? 'INGRESS' : 'EGRESS',
    is_reply: flow.match === 'ct-reply',
    // flow.proto's NetworkInterface: where the datapath saw the packet (the name is the agent's to add, not known here).
    ...(flow.ifindex ? { interface: { index: flow.ifindex } } : {}),
    Summary: summary(flow),
  };
  if (dropped) out.drop_reason_desc = DROP_REASON_DESC[flow.dropReason] ?? 'DROP_REASON_UNKNOWN';
  const policyId = flow.policyId ?? flow.ruleId?.split('/').slice(0, 2).join('/');
  if (policyId) {
    const [namespace, name] = policyId.split('/');
    const key = `${flow.direction}_${dropped ? 'denied' : 'allowed'}_by`;
    out[key] = [{ name, namespace, labels: [`k8s:io.cilium.k8s.policy.name=${name}`, `k8s:io.cilium.k8s.policy.namespace=${namespace}`] }];
  }
  return { flow: out, node_name: nodeName, time };
}

export function identityMap(identities: readonly IdentityInfo[]): Map<number, Labels> {
  return new Map(identities.map((i) => [i.id, i.labels]));
}

/** One JSON object per line, newline-terminated, as `hubble observe -o jsonpb` prints them. */
export function toHubbleJsonLines(flows: readonly FlowEvent[], identities: ReadonlyMap<number, Labels>, nodeName: string): string {
  let out = '';
  for (const f of flows) out += JSON.stringify(toHubbleFlow(f, identities, nodeName)) + '\n';
  return out;
}
