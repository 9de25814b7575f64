/**
 * The agent's view of the eBPF datapath: what the rest of the agent (lab,
 * identities, policy compiler, flows) asks of it. Everything about map layouts,
 * the C loader and the kernel stays behind this interface.
 *
 * Directions are relative to the endpoint: `ingress` is traffic into the
 * workload (the remote identity is the source's), `egress` is traffic out of
 * it (the remote identity is the destination's).
 */
import type { DatapathBuildResult, DatapathState } from '../../protocol/agent-rpc';
import type { Direction } from '../../protocol/policy-ir';

export interface EndpointConfig {
  endpointId: number;
  /** Host-side veth in the node namespace; the datapath attaches there with tcx. */
  ifname: string;
  ip: string;
  identity: number;
  /** Cookie of the policy that put the endpoint in default-deny for ingress; 0: default-allow. */
  ingressPolicyCookie: number;
  egressPolicyCookie: number;
  /** MACs of the workload's (eth0) and the node's side of the veth: with both, packets from other local endpoints are delivered directly. */
  mac?: string;
  hostMac?: string;
}

export interface IpcacheEntry { cidr: string; identity: number }

export interface PolicyEntry {
  endpointId: number;
  direction: Direction;
  /** Remote identity; 0 matches any identity. */
  identity: number;
  /** IP protocol number; 0 matches any protocol. */
  protocol: number;
  /** Inclusive destination port range; 0..0 (or 0..65535) matches any port. For ICMP: the type range, where 0..0 is type 0 (echo-reply) and only 0..65535 is any type. */
  portStart: number;
  portEnd: number;
  action: 'allow' | 'deny';
  cookie: number;
}

/**
 * Flow records as the ring buffer gave them, undecoded: `count` records of
 * `size` bytes back to back in `data` (struct flow_event), read when the wall
 * clock said `nowMs` and CLOCK_MONOTONIC `nowMonoMs`. A FlowRecordReader
 * (flow-record-reader.ts) reads their fields; the agent turns them straight
 * into columns, with no object per record.
 */
export interface FlowRecordBatch { data: Uint8Array; size: number; count: number; nowMs: number; nowMonoMs: number }

/** One map as the datapath holds it, decoded (IPs as text; names of identities and cookies are the agent's to add). */
export interface MapDump {
  name: string;
  type: string;
  maxEntries: number;
  /** Entries in the map now. */
  fill: number;
  entries: { key: Record<string, unknown>; value: Record<string, unknown> }[];
}

/** Everything the policy decides with, applied atomically (one generation flip). */
export interface PolicyState {
  /** Only the per-direction policy cookies are used here (which endpoints are in default-deny). */
  endpoints: readonly EndpointConfig[];
  ipcache: readonly IpcacheEntry[];
  entries: readonly PolicyEntry[];
  /**
   * Optional: `entries` grouped (per rule, as policy/map-state-cache.ts does, or per policy), in bundle order (their
   * concatenation is `entries`). A part that is the same array object as in
   * an earlier call has the same content, so a driver may reuse what it
   * derived from it (policy/map-state-cache.ts keeps unchanged parts).
   */
  entryParts?: readonly (readonly PolicyEntry[])[];
  /** Optional: told when each step ends ('resolve', 'write', 'flip', 'mirror'), for the agent's timing log. */
  timing?: { mark(step: string): void };
}

export interface PolicyCommit { written: number; deleted: number; generation: number }

export interface DatapathCounters {
  /** packets, forwarded, dropped, ringbufFull, notEndpoint, notIpv4, ctCreated, ctFull (summed over CPUs). */
  counters: Record<string, number>;
  /** Drop reason code → packets. */
  drops: Record<number, number>;
}

export interface ConntrackTimeouts { tcpSeconds?: number; nonTcpSeconds?: number; synSeconds?: number; closeSeconds?: number }

export interface Datapath {
  /** Compile bpf/ with clang, load it (reusing pinned maps), swap it onto every attached link. On failure the previous program stays attached. */
  build(): Promise<DatapathBuildResult>;
  state(): DatapathState;
  /** Attach to new endpoints, detach from removed ones, write the endpoint map, then local delivery to them. */
  setEndpoints(endpoints: EndpointConfig[]): Promise<void>;
  /**
   * Routes packets between endpoints through the node until the next setEndpoints():
   * called before the lab's veths change, so no redirect names a veth that is gone.
   */
  clearLocalDelivery(): Promise<void>;
  setIpcache(entries: IpcacheEntry[]): Promise<void>;
  /** Replace the whole policy with these entries (a diff is written; deny precedence is resolved here). */
  setPolicy(entries: PolicyEntry[]): Promise<{ written: number; deleted: number }>;
  /**
   * Ipcache, rules and enforcement together: written as a diff into the
   * inactive policy slot, made visible by one flip of ps_active, then
   * mirrored into the other slot. No packet ever sees half of an update.
   */
  applyPolicyState(state: PolicyState): Promise<PolicyCommit>;
  setTraceAll(on: boolean): Promise<void>;
  /** true: packets between local endpoints go through the node's routing; false (default): delivered directly. */
  setRouteLocal(on: boolean): Promise<void>;
  /** Conntrack lifetimes (0 or absent: Cilium's defaults). */
  setConntrackTimeouts(t: ConntrackTimeouts): Promise<void>;
  /** Remove expired conntrack entries now (also done periodically). */
  gcConntrack(): Promise<{ deleted: number; kept: number }>;
  counters(): Promise<DatapathCounters>;
  /** The slot packets read now and the generation of the last flip. */
  policyGeneration(): { slot: number; generation: number };
  /** Flow records a batch at a time, undecoded; the first listener also gets what waited in the ring buffer. */
  onFlowRecords(listener: (batch: FlowRecordBatch) => void): { dispose(): void };
  /** Events lost to ring-buffer overflow since the last call. */
  takeLostCount(): Promise<number>;
  /** Every datapath map (or those named), decoded. */
  dumpMaps(names?: readonly string[]): Promise<MapDump[]>;
  /** Stop the loader; pins stay and keep enforcing. */
  close(): Promise<void>;
  /** Detach and unpin everything (lab teardown). */
  destroy(): Promise<void>;
}

export interface DatapathOptions {
  /** bpffs directory for this lab's pins, e.g. /sys/fs/bpf/policy-studio/<lab>. */
  pinDir: string;
  /** Network namespace where the endpoints' host-side veths live (a name under /var/run/netns). */
  nodeNetns: string;
  /** Directory holding the bpf/ sources. */
  bpfDir: string;
  /** Where compiled objects and the loader binary go. */
  buildDir: string;
  log: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
}
