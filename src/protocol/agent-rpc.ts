/**
 * The extension ↔ agent contract: JSON-RPC 2.0 (vscode-jsonrpc) over the
 * agent's stdio. Declared once here, imported by both ends; the transport is a
 * child-process pipe (local), an ssh2 exec channel or a dockerode exec stream.
 * The agent opens no network port.
 */
import { NotificationType, NotificationType0, RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { FlowEvent } from './flow-event';
import type { Labels, PolicyBundle, Protocol } from './policy-ir';

/**
 * Bumped when a method's shape changes incompatibly. 2: flows only as
 * flows/batchPacked, whose columns gained `ifindex` (a version-1 peer would
 * misread every batch's buffer, so hello refuses it by name).
 */
export const AGENT_PROTOCOL_VERSION = 2;

/** JSON-RPC error codes the agent uses besides the standard ones. */
export const AgentErrorCode = {
  /** Params failed validation; `message` says which field and why. */
  BadRequest: -32602,
  /** The agent needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN). */
  NotPrivileged: -33001,
  /** A tool (clang, bpftool, ip) or kernel feature is missing. */
  MissingDependency: -33002,
  /** Reserved. A rejected datapath is not an error: datapath/load answers `ok: false` with the diagnostics and the full verifier log. */
  DatapathRejected: -33003,
  /** The method needs a lab or a loaded datapath first. */
  NotReady: -33004,
  /** A workload named in the request does not exist in the lab. */
  UnknownWorkload: -33005,
  /** policy/patch: the base generation is not the agent's current one; send a full policy/apply. */
  StaleBase: -33006,
} as const;

export interface HelloParams { clientVersion: string; protocolVersion: number }

export interface Capabilities {
  root: boolean;
  btf: boolean;
  bpffs: boolean;
  tcx: boolean;
  tools: Record<'clang' | 'bpftool' | 'ip' | 'cc', string | null>;
  libbpf: boolean;
  missing: string[];
}

export interface HelloResult {
  agentVersion: string;
  protocolVersion: number;
  kernel: string;
  hostname: string;
  capabilities: Capabilities;
  lab?: LabState;
  datapath?: DatapathState;
}

export interface LabWorkloadSpec { name: string; namespace: string; labels: Labels; replicas: number }

export interface LabApplyParams {
  /** Switch the agent to this lab first (default: the one named by the agent's `--lab`); ^[a-z][a-z0-9]{0,7}$. */
  lab?: string;
  workloads: LabWorkloadSpec[];
}

/** One running instance of a workload: a network namespace with one veth. */
export interface EndpointState {
  /** `<namespace>/<workload>-<n>` */
  name: string;
  workload: string;
  namespace: string;
  labels: Labels;
  ip: string;
  netns: string;
  /** Host-side (node namespace) interface. */
  ifname: string;
  endpointId: number;
  identity: number;
  /** MAC of the workload's side of the veth (eth0); absent in state an older agent wrote until the lab is applied again. */
  mac?: string;
  /** MAC of the node's side of the veth. */
  hostMac?: string;
}

export interface LabState {
  name: string;
  nodeNetns: string;
  nodeIp: string;
  endpoints: EndpointState[];
}

export interface VerifierStats {
  program: string;
  insnsProcessed?: number;
  verifiedInsns?: number;
  states?: number;
  stackDepth?: string;
  verificationTimeUs?: number;
}

export interface CompilerDiagnostic {
  file: string;
  line: number;
  column: number;
  severity: 'error' | 'warning' | 'note';
  message: string;
}

export interface DatapathBuildResult {
  ok: boolean;
  /** Which stage failed, when `ok` is false. */
  stage?: 'compile' | 'load' | 'attach';
  compileMs?: number;
  loadMs?: number;
  diagnostics: CompilerDiagnostic[];
  programs: VerifierStats[];
  /** Full verifier log on failure; the statistics part on success. */
  verifierLog: string;
}

export interface DatapathState {
  loaded: boolean;
  pinDir: string;
  programs: string[];
  maps: string[];
  attachedInterfaces: string[];
  /** Hash of the loaded object, to tell whether a rebuild changed anything. */
  objectHash?: string;
}

export interface PolicyApplyParams { bundle: PolicyBundle }

export interface IdentityInfo { id: number; labels: Labels }

export interface PolicyApplyResult {
  generation: number;
  identities: IdentityInfo[];
  entriesWritten: number;
  entriesDeleted: number;
  /** Endpoints in default-deny per direction after this apply. */
  enforcing: { endpoint: string; ingress: boolean; egress: boolean }[];
  /**
   * Pass as `PolicyPatchParams.baseGeneration` to change this bundle by a
   * patch. Absent from agents that do not know policy/patch.
   */
  baseGeneration?: number;
}

/**
 * policy/patch: change the bundle the agent last applied (by policy/apply or
 * policy/patch) without sending all of it again. `baseGeneration` is the
 * `baseGeneration` of the answer to that apply; if the agent's bundle has
 * moved on since (another client, a restart), the agent answers
 * AgentErrorCode.StaleBase and changes nothing: send a full policy/apply.
 * `upsert` replaces policies by id (a new id is appended, in order);
 * `remove` lists policy ids to drop. The rest of the bundle (workloads,
 * expects, the other policies and their order) stays as it was. The answer
 * is a PolicyApplyResult as for policy/apply, with the new baseGeneration.
 */
export interface PolicyPatchParams {
  baseGeneration: number;
  upsert: import('./policy-ir').PolicyIR[];
  remove: string[];
}

export interface ProbeParams {
  /** Workload name, optionally `<namespace>/<name>`; the first replica is used. */
  from: string;
  to: string;
  protocol: Exclude<Protocol, 'any'>;
  /** Required for tcp and udp. */
  port?: number;
  timeoutMs?: number;
}

export interface ProbeResult {
  verdict: 'allowed' | 'denied';
  /** What happened on the wire: connected, timeout, refused, reply, no-reply. */
  outcome: string;
  durationMs: number;
  from: string;
  to: string;
  /** The flow event the datapath reported for this probe, when one arrived. */
  flow?: FlowEvent;
}

export interface FlowsSubscribeParams {
  /** Emit every packet, not only new connections and drops. */
  traceAll?: boolean;
}

/**
 * The one form flows travel in (flows/batchPacked): the columns of
 * src/protocol/flow-columns.ts, `count` events each. `columns` is the base64
 * of every column of FLOW_PACKED_COLUMNS (flow-packed.ts), in that order,
 * little-endian, no padding (the column order keeps each naturally aligned).
 * Strings (IPs, workloads, endpoints, rule and policy ids, texts) are indices
 * into `strings`, -1 meaning absent; `source` is an index into `sources`.
 */
export interface FlowBatchPacked {
  /** Events lost (ring buffer full, or too many waiting in the agent) since the last batch. */
  lost: number;
  count: number;
  strings: string[];
  sources: import('./policy-ir').SourceLocation[];
  columns: string;
}

/**
 * How packets between two endpoints of the lab travel once policy allowed them:
 * direct (default) decides the receiver's ingress in the sender's program chain
 * and puts them straight into the receiver's namespace (as Cilium's local
 * delivery), routed hands them to the node namespace's routing (to watch them
 * there, e.g. with tcpdump or nft on the node). Both apply the same policy at
 * both ends.
 */
export interface DatapathLocalDeliveryParams { mode: 'direct' | 'routed' }

export interface FlowsTraceAllParams { /** true: an event for every packet; false: new connections and drops only. */ traceAll: boolean }

export interface DatapathCountersResult {
  /** Summed over CPUs: packets, forwarded, dropped, ringbufFull, notEndpoint, notIpv4, ctCreated, ctFull. */
  counters: Record<string, number>;
  /** Drops per reason (Cilium's codes), with the reason's text. */
  drops: { reason: number; text: string; count: number }[];
  /** Flow events the ring buffer could not take since the datapath was loaded (also reported per batch as FlowBatchPacked.lost). */
  ringbufFull: number;
  /** The policy generation the datapath enforces now, and the slot it reads. */
  policyGeneration: number;
  policySlot: number;
}

export interface MapsDumpParams {
  /** One map (a name from MapsDumpResult.maps); absent: every map, each with its first page. */
  map?: string;
  /** From a previous answer's `nextCursor`. */
  cursor?: string;
  /** Entries per map per answer; default 500, at most 10,000. */
  limit?: number;
}

export interface MapEntryView {
  key: Record<string, unknown>;
  value: Record<string, unknown>;
  /** Identities in the entry with their label sets, rule/policy cookies with their id and source. */
  identity?: IdentityInfo;
  rule?: { cookie: number; ruleId?: string; policyId?: string; text?: string; source?: import('./policy-ir').SourceLocation };
}

export interface MapView {
  name: string;
  /** What the map is for, in a sentence. */
  description: string;
  type: string;
  maxEntries: number;
  /** Entries in the map now. */
  fill: number;
  entries: MapEntryView[];
  /** More entries follow: pass this as `cursor` (with `map`). */
  nextCursor?: string;
}

export interface MapsDumpResult { pinDir: string; maps: MapView[] }

export interface AgentLogMessage { level: 'trace' | 'debug' | 'info' | 'warn' | 'error'; message: string }

export const Hello = new RequestType<HelloParams, HelloResult, void>('agent/hello');
export const Shutdown = new RequestType0<void, void>('agent/shutdown');
export const LabApply = new RequestType<LabApplyParams, LabState, void>('lab/apply');
export const LabTeardown = new RequestType0<void, void>('lab/teardown');
export const LabStatus = new RequestType0<LabState | null, void>('lab/status');
export const DatapathLoad = new RequestType<{ force?: boolean }, DatapathBuildResult, void>('datapath/load');
export const PolicyApply = new RequestType<PolicyApplyParams, PolicyApplyResult, void>('policy/apply');
/** Additive (protocol version unchanged): agents without it answer MethodNotFound; fall back to policy/apply. */
export const PolicyPatch = new RequestType<PolicyPatchParams, PolicyApplyResult, void>('policy/patch');
export const Probe = new RequestType<ProbeParams, ProbeResult, void>('lab/probe');
export const FlowsSubscribe = new RequestType<FlowsSubscribeParams, void, void>('flows/subscribe');
export const FlowsUnsubscribe = new RequestType0<void, void>('flows/unsubscribe');
/** Switch trace-all (every packet) on or off at run time, subscribed or not. */
export const FlowsTraceAll = new RequestType<FlowsTraceAllParams, void, void>('flows/traceAll');
/** Additive (protocol version unchanged): older agents answer MethodNotFound and always route. */
export const DatapathLocalDelivery = new RequestType<DatapathLocalDeliveryParams, void, void>('datapath/localDelivery');
export const DatapathCounters = new RequestType0<DatapathCountersResult, void>('datapath/counters');
export const MapsDump = new RequestType<MapsDumpParams, MapsDumpResult, void>('maps/dump');
/** The flows of a subscriber, every ~100 ms while there are any (flows/subscribe). */
export const FlowsPackedNotification = new NotificationType<FlowBatchPacked>('flows/batchPacked');
export const LogNotification = new NotificationType<AgentLogMessage>('agent/log');
export const ExitNotification = new NotificationType0('agent/exit');
