/**
 * Messages between the extension host and each webview, typed once for both
 * ends (one union per direction per view). The extension keeps the data (the
 * flow ring, the last datapath build, map dumps); webviews only render it, so
 * a reloaded or hidden panel asks again with `ready` and is refilled.
 */
import type { DatapathBuildResult, IdentityInfo, MapView } from './agent-rpc';
import type { DropExplanation } from './drop-explanation';
import type { FlowColumnBatch } from './flow-columns';
import type { FlowEvent } from './flow-event';
import type { SourceLocation } from './policy-ir';

// ── Flows ───────────────────────────────────────────────────────────────────

/**
 * Flows travel as columns (typed arrays clone as one copy each, strings once
 * per message), at most one message per frame-ish interval; the webview
 * keeps them columnar too (FlowColumnRing) and makes objects only for the
 * rows on screen, details and export.
 */
export type FlowsToWebview =
  /** Everything the host retains, replacing what the view has; `capacity` is the flow retention setting. */
  | { type: 'flows/reset'; columns: FlowColumnBatch; capacity: number }
  /** Flows that arrived since the last message. */
  | { type: 'flows/append'; columns: FlowColumnBatch }
  /** The flow retention setting changed: keep the newest `capacity` flows. */
  | { type: 'flows/retention'; capacity: number }
  /** Identities of the lab (and the reserved ones) with their label sets, for row details and label filters. */
  | { type: 'flows/identities'; identities: IdentityInfo[] }
  | { type: 'status'; text: string }
  /** Set the filter (hubble-style terms), e.g. from the Lab view or a service-map edge. */
  | { type: 'flows/filter'; filter: string };

export type FlowsFromWebview =
  | { type: 'ready' }
  | { type: 'reveal'; index: number; flow: FlowEvent }
  | { type: 'clear' }
  /** Save these flows (the ones the filter shows) as Hubble JSON lines. */
  | { type: 'export'; flows: FlowEvent[] };

// ── Maps ────────────────────────────────────────────────────────────────────

export type MapsToWebview =
  /** Every pinned map with its first page; `error` when the agent could not dump (not connected, no datapath). */
  | { type: 'maps/list'; pinDir: string; maps: MapView[]; time: number; error?: string }
  /** The next page of one map (the answer to `maps/more`). */
  | { type: 'maps/page'; map: MapView; append: boolean };

export type MapsFromWebview =
  | { type: 'ready' }
  | { type: 'refresh' }
  | { type: 'maps/more'; map: string; cursor: string }
  | { type: 'reveal'; source: SourceLocation };

// ── Verifier log ────────────────────────────────────────────────────────────

/** Where a C file named in a build result (diagnostic or `; … @ file.c:NN`) lives on this machine, when found. */
export interface SourceFileLink { file: string; uri: string }

export type VerifierToWebview =
  /** The last datapath build (absent before any), with the local files its paths resolve to. */
  | { type: 'verifier/build'; build?: DatapathBuildResult; time?: number; links: SourceFileLink[] };

export type VerifierFromWebview =
  | { type: 'ready' }
  | { type: 'build' }
  /** Open a C file of the datapath at a 1-based line. */
  | { type: 'openSource'; file: string; line: number };

// ── Explain Drop ────────────────────────────────────────────────────────────

export type ExplainToWebview =
  /** The explanation to show; `decidingLabel` is the deciding line as `path:line` relative to the workspace. */
  | { type: 'explain/show'; explanation: DropExplanation; decidingLabel?: string };

export type ExplainFromWebview =
  | { type: 'ready' }
  /** Open the deciding line. */
  | { type: 'reveal' }
  /** Insert the proposed allow rule. */
  | { type: 'fix' };

// ── Service map ─────────────────────────────────────────────────────────────

/** Observed traffic between two workloads (or addresses): up to four of its ports and its verdict counts. */
export interface ServiceMapEdge { from: string; to: string; ports: string[]; forwarded: number; dropped: number }
export interface ServiceMapGraph { nodes: string[]; edges: ServiceMapEdge[] }

export type ServiceMapToWebview =
  /** The graph from the lab and the flow ring; `empty` says what to do when there is nothing to draw. */
  | { type: 'serviceMap/graph'; graph: ServiceMapGraph; empty: string };

export type ServiceMapFromWebview =
  | { type: 'ready' }
  /** An edge was clicked (index into the last graph's edges): open the flows filtered to it. */
  | { type: 'edge'; index: number };
