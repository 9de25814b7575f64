/**
 * The agent's state and operations, one lab at a time (as cilium-agent is one
 * per node): the lab's namespaces, identities, the datapath, the applied
 * policy bundle and the flow stream. rpc-server.ts validates requests and
 * calls in here; this file decides what happens and in which order.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ResponseError } from 'vscode-jsonrpc';
import {
  AgentErrorCode, AGENT_PROTOCOL_VERSION,
  type DatapathBuildResult, type DatapathCountersResult, type EndpointState, type HelloResult,
  type MapsDumpParams, type MapsDumpResult,
  type LabApplyParams, type LabState, type PolicyApplyResult, type PolicyPatchParams, type ProbeParams, type ProbeResult,
} from '../protocol/agent-rpc';
import type { PolicyBundle } from '../protocol/policy-ir';
import { isRoot, probeCapabilities } from './host/capabilities';
import type { OpenDatapath } from './datapath/datapath-factory';
import { MapName, type Datapath } from './datapath';
import { FlowEnricher } from './flows/flow-enricher';
import { FlowStream, type FlowSender } from './flows/flow-stream';
import { IdentityAllocator } from './policy/identity-allocator';
import { NODE_IP } from './lab/addressing';
import { LabBuilder } from './lab/lab-builder';
import { readLabRecord, removeLabRecord, writeLabRecord, LAB_STATE_VERSION, type LabRecord } from './lab/lab-state-store';
import { nodeNetnsName, pinDir, stateDir } from './lab/names';
import type { Log } from './log';
import { describeDropReason } from '../protocol/drop-reasons';
import { MapViewer, parseCursor } from './maps/map-view';
import { PolicyCompileCache, type IncrementalCompiled } from './policy/map-state-cache';
import { applyPatch } from './policy/bundle-patch';
import { ApplyTiming } from './policy/apply-timing';
import { BundleJson } from './policy/bundle-json';
import { MAPS_DUMP_DEFAULT_LIMIT } from './rpc/validate';
import { Prober } from './probe/probe';
import { AGENT_VERSION } from './version';

export interface NodeAgentOptions {
  lab: string;
  bpfDir: string | undefined;
  openDatapath: OpenDatapath | undefined;
  log: Log;
  /** Sends one flows/batchPacked notification (the subscriber's flows). */
  sendFlows: FlowSender;
}

export class NodeAgent {
  private lab: string;
  private record: LabRecord | null;
  private identities: IdentityAllocator;
  private datapath: Datapath | undefined;
  private readonly enricher = new FlowEnricher();
  /** Per-policy compile results, so a patch (or an apply that changes few policies) recompiles only what changed. */
  private readonly compileCache = new PolicyCompileCache();
  /** The state file's text, unchanged policies serialised once. */
  private readonly recordJson = new BundleJson();
  private readonly flows: FlowStream;
  private readonly prober: Prober;
  private traceAll = false;
  private lastBuild: DatapathBuildResult | undefined;
  /** A re-adoption under way (resume()); hello waits for it so it reports the datapath truthfully. */
  private resuming: Promise<void> = Promise.resolve();

  constructor(private readonly opts: NodeAgentOptions) {
    this.flows = new FlowStream(this.enricher, opts.sendFlows);
    this.prober = new Prober(this.flows, opts.log);
    this.lab = opts.lab;
    this.record = null;
    this.identities = new IdentityAllocator();
    this.adopt(opts.lab);
  }

  async hello(): Promise<HelloResult> {
    await this.resuming;
    const result: HelloResult = {
      agentVersion: AGENT_VERSION,
      protocolVersion: AGENT_PROTOCOL_VERSION,
      kernel: os.release(),
      hostname: os.hostname(),
      capabilities: await probeCapabilities(),
    };
    const lab = this.status();
    if (lab) result.lab = lab;
    if (this.datapath) result.datapath = this.datapath.state();
    return result;
  }

  /**
   * After a restart: if the lab had a loaded datapath, open it again (its pins
   * kept enforcing meanwhile) so flows, probes and policy updates carry on
   * without the client having to load it again.
   */
  resume(): Promise<void> {
    this.resuming = this.readopt();
    return this.resuming;
  }

  private async readopt(): Promise<void> {
    const rec = this.record;
    if (!rec?.datapathLoaded || this.datapath || !isRoot() || !fs.existsSync(pinDir(this.lab))) return;
    try {
      const result = await this.loadDatapath(false);
      this.opts.log(result.ok ? 'info' : 'error', `re-adopted the pinned datapath of lab ${this.lab}: ${result.ok ? 'loaded' : `reload failed at ${result.stage}`}`);
    } catch (e) {
      this.opts.log('error', `could not re-adopt the datapath of lab ${this.lab}: ${(e as Error).message}`);
    }
  }

  status(): LabState | null {
    if (!this.record) return null;
    return { name: this.record.name, nodeNetns: this.record.nodeNetns, nodeIp: this.record.nodeIp, endpoints: this.record.endpoints.map((e) => ({ ...e })) };
  }

  async applyLab(params: LabApplyParams): Promise<LabState> {
    requireRoot('lab/apply');
    if (params.lab !== undefined && params.lab !== this.lab) {
      await this.switchLab(params.lab);
      await this.resume();
    }
    const builder = new LabBuilder(this.lab, this.opts.log);
    const rec = this.record ?? this.emptyRecord();
    // Veths may go or be recreated with new ifindexes: route between endpoints until program() has the new ones.
    if (this.datapath) await this.datapath.clearLocalDelivery();
    const diff = await builder.apply(rec.endpoints, params.workloads, rec.nextEndpointId, this.identities);
    rec.endpoints = diff.endpoints;
    rec.nextEndpointId = diff.nextEndpointId;
    this.record = rec;
    this.save();
    this.enricher.setLab(rec.endpoints, rec.nodeIp);
    this.opts.log('info', `lab ${this.lab}: ${rec.endpoints.length} endpoints (+${diff.added.length} −${diff.removed.length} relabelled ${diff.changed.length})`);
    if (this.datapath) await this.program(rec.bundle);
    return this.status()!;
  }

  async teardown(): Promise<void> {
    requireRoot('lab/teardown');
    this.flows.detach();
    if (this.datapath) {
      await this.datapath.destroy();
      this.datapath = undefined;
      this.lastBuild = undefined;
    }
    // Pins an earlier agent left: unpinning links detaches the programs, unpinning maps frees them.
    // (Deleting the namespaces below removes the veths and their attachments in any case.)
    fs.rmSync(pinDir(this.lab), { recursive: true, force: true });
    const removed = await new LabBuilder(this.lab, this.opts.log).teardown();
    removeLabRecord(this.lab);
    this.record = null;
    this.identities = new IdentityAllocator();
    this.compileCache.clear();
    this.enricher.setLab([], NODE_IP);
    this.opts.log('info', `lab ${this.lab} torn down (${removed.length} namespaces removed)`);
  }

  async loadDatapath(force: boolean): Promise<DatapathBuildResult> {
    requireRoot('datapath/load');
    const rec = this.requireLab('datapath/load');
    if (!this.opts.openDatapath) {
      throw new ResponseError(AgentErrorCode.MissingDependency, 'this agent was built without a datapath driver (src/agent/datapath)');
    }
    if (!this.opts.bpfDir) {
      throw new ResponseError(AgentErrorCode.MissingDependency, 'cannot find the bpf/ sources next to the agent; start it with --bpf-dir <dir>');
    }
    if (this.datapath && this.lastBuild && !force && this.datapath.state().loaded) {
      // Already loaded by this agent: make sure the maps match the lab, skip the rebuild.
      await this.program(rec.bundle);
      return this.lastBuild;
    }
    let result: DatapathBuildResult | undefined;
    if (!this.datapath) {
      const opened = await this.opts.openDatapath(this.datapathOptions(this.opts.bpfDir));
      this.datapath = opened;
      this.flows.attach(opened);
      // Opening already compiled and loaded once; do not pay for it twice.
      result = opened.initialBuild;
    }
    result ??= await this.datapath.build();
    if (!result.ok) {
      // Returned, not thrown: the client shows the diagnostics and the full verifier log; the old program stays attached.
      const first = result.diagnostics.find((d) => d.severity === 'error');
      const why = first ? `${first.file}:${first.line}: ${first.message}` : lastLines(result.verifierLog, 3);
      this.opts.log('error', `datapath ${result.stage ?? 'build'} failed: ${why}`);
      return result;
    }
    this.lastBuild = result;
    if (this.traceAll) await this.datapath.setTraceAll(true);
    await this.program(rec.bundle);
    rec.datapathLoaded = true;
    this.save();
    return result;
  }

  async applyPolicy(bundle: PolicyBundle): Promise<PolicyApplyResult> {
    requireRoot('policy/apply');
    const rec = this.requireLab('policy/apply');
    if (!this.datapath) throw new ResponseError(AgentErrorCode.NotReady, 'policy/apply: the datapath is not loaded; call datapath/load first');
    return this.commitBundle(rec, bundle, new ApplyTiming());
  }

  /** policy/patch: the last applied bundle with some policies replaced or removed (agent-rpc.ts PolicyPatchParams). */
  async patchPolicy(patch: PolicyPatchParams): Promise<PolicyApplyResult> {
    const timing = new ApplyTiming();
    requireRoot('policy/patch');
    const rec = this.requireLab('policy/patch');
    if (!this.datapath) throw new ResponseError(AgentErrorCode.NotReady, 'policy/patch: the datapath is not loaded; call datapath/load first');
    if (patch.baseGeneration !== rec.policyGeneration || !rec.bundle) {
      throw new ResponseError(AgentErrorCode.StaleBase,
        `policy/patch: base generation ${patch.baseGeneration} is not the agent's current one (${rec.bundle ? rec.policyGeneration : 'no bundle applied'}); send the whole bundle with policy/apply`);
    }
    const bundle = applyPatch(rec.bundle, patch);
    timing.mark('patch');
    return this.commitBundle(rec, bundle, timing);
  }

  private async commitBundle(rec: LabRecord, bundle: PolicyBundle, timing: ApplyTiming): Promise<PolicyApplyResult> {
    const programmed = await this.program(bundle, timing);
    const { compiled, result: { written, deleted } } = programmed;
    rec.bundle = programmed.bundle;
    rec.policyGeneration++;
    this.save();
    timing.mark('save');
    this.opts.log('debug', `policy generation ${rec.policyGeneration} timing: ${timing.toString()}`);
    this.opts.log('info', `policy generation ${rec.policyGeneration}: ${compiled.entryCount} entries (${written} written, ${deleted} deleted; ${compiled.recompiled} of ${bundle.policies.length} policies compiled)`);
    return {
      generation: rec.policyGeneration,
      identities: this.identities.list(),
      entriesWritten: written,
      entriesDeleted: deleted,
      enforcing: compiled.enforcing,
      baseGeneration: rec.policyGeneration,
    };
  }

  async probe(params: ProbeParams): Promise<ProbeResult> {
    requireRoot('lab/probe');
    const rec = this.requireLab('lab/probe');
    const from = resolveEndpoint(rec.endpoints, params.from, 'from');
    const to = resolveEndpoint(rec.endpoints, params.to, 'to');
    return this.prober.probe(params, from, to);
  }

  async subscribeFlows(traceAll: boolean): Promise<void> {
    this.traceAll = traceAll;
    if (this.datapath) await this.datapath.setTraceAll(traceAll);
    this.flows.subscribe();
  }

  /** Trace-all on or off at run time, whether or not a client is subscribed. */
  async setTraceAll(traceAll: boolean): Promise<void> {
    this.traceAll = traceAll;
    if (this.datapath) await this.datapath.setTraceAll(traceAll);
  }

  /** Direct delivery between the lab's endpoints (the default) or through the node's routing. Kept in the pinned config. */
  async setLocalDelivery(mode: 'direct' | 'routed'): Promise<void> {
    await this.requireDatapath('datapath/localDelivery').setRouteLocal(mode === 'routed');
  }

  async counters(): Promise<DatapathCountersResult> {
    const dp = this.requireDatapath('datapath/counters');
    const { counters, drops } = await dp.counters();
    const gen = dp.policyGeneration();
    return {
      counters,
      drops: Object.entries(drops).map(([reason, count]) => ({ reason: Number(reason), text: describeDropReason(Number(reason)), count })),
      ringbufFull: counters.ringbufFull ?? 0,
      policyGeneration: gen.generation,
      policySlot: gen.slot,
    };
  }

  async dumpMaps(params: MapsDumpParams): Promise<MapsDumpResult> {
    const dp = this.requireDatapath('maps/dump');
    if (params.map !== undefined && !KNOWN_MAPS.has(params.map)) {
      throw new ResponseError(AgentErrorCode.BadRequest, `map: no datapath map ${JSON.stringify(params.map)} (known: ${[...KNOWN_MAPS].join(', ')})`);
    }
    const dumps = await dp.dumpMaps(params.map !== undefined ? [params.map] : undefined);
    const viewer = new MapViewer(() => this.identities.list(), this.enricher);
    return {
      pinDir: dp.state().pinDir,
      maps: viewer.view(dumps, { after: parseCursor(params.cursor), limit: params.limit ?? MAPS_DUMP_DEFAULT_LIMIT }),
    };
  }

  private requireDatapath(method: string): Datapath {
    if (!this.datapath) throw new ResponseError(AgentErrorCode.NotReady, `${method}: the datapath is not loaded; call datapath/load first`);
    return this.datapath;
  }

  async unsubscribeFlows(): Promise<void> {
    this.flows.unsubscribe();
    if (this.traceAll && this.datapath) await this.datapath.setTraceAll(false);
    this.traceAll = false;
  }

  /** The client went away: stop everything this process runs; pins stay and keep enforcing. */
  async close(): Promise<void> {
    this.flows.unsubscribe();
    this.prober.stopAll();
    await this.closeDatapath();
  }

  private async closeDatapath(): Promise<void> {
    this.flows.detach();
    if (this.datapath) {
      await this.datapath.close();
      this.datapath = undefined;
      this.lastBuild = undefined;
    }
  }

  /** Compile the bundle against the lab and write it to the datapath: identities first, then rules, then who enforces. */
  private async program(bundle: PolicyBundle | undefined, timing?: ApplyTiming): Promise<ProgrammedPolicy> {
    const rec = this.record!;
    const dp = this.datapath!;
    const compiled = this.compileCache.compile(bundle, rec.endpoints, this.identities, rec.nodeIp);
    timing?.mark('compile');
    // Unchanged policies as the objects already applied (a re-sent bundle costs the enricher and the state file nothing for them).
    const given = bundle;
    if (given && compiled.policies.some((p, i) => p !== given.policies[i])) bundle = { ...given, policies: compiled.policies };
    this.enricher.setBundle(bundle);
    timing?.mark('enricher');
    // Identities, rules and who enforces flip together (one generation); then endpoints are attached.
    // (No spread of `compiled`: its flat `entries` is computed only if the driver asks for it.)
    const result = await dp.applyPolicyState({
      endpoints: compiled.endpoints, ipcache: compiled.ipcache, entryParts: compiled.entryParts, timing,
      get entries() { return compiled.entries; },
    });
    await dp.setEndpoints(compiled.endpoints);
    timing?.mark('endpoints');
    return { compiled, result, bundle };
  }

  private datapathOptions(bpfDir: string) {
    return {
      pinDir: pinDir(this.lab),
      nodeNetns: nodeNetnsName(this.lab),
      bpfDir,
      buildDir: path.join(stateDir(this.lab), 'build'),
      log: this.opts.log,
    };
  }

  private requireLab(method: string): LabRecord {
    if (!this.record) throw new ResponseError(AgentErrorCode.NotReady, `${method}: there is no lab ${this.lab} yet; call lab/apply first`);
    return this.record;
  }

  /** The client's flow subscription carries over to the new lab; the old lab's pins keep enforcing. */
  private async switchLab(lab: string): Promise<void> {
    await this.closeDatapath();
    this.opts.log('info', `switching from lab ${this.lab} to ${lab} (the old lab keeps running)`);
    this.adopt(lab);
  }

  /** Pick up a lab an earlier agent left behind (its state file), or start empty. */
  private adopt(lab: string): void {
    this.lab = lab;
    this.compileCache.clear();
    let rec: LabRecord | null = null;
    try {
      rec = readLabRecord(lab);
    } catch (e) {
      this.opts.log('warn', `ignoring unreadable state of lab ${lab}: ${(e as Error).message}`);
    }
    this.record = rec;
    this.identities = IdentityAllocator.restore(rec?.identities);
    this.enricher.setLab(rec?.endpoints ?? [], rec?.nodeIp ?? NODE_IP);
    this.enricher.setBundle(rec?.bundle);
    if (rec) this.opts.log('info', `re-adopted lab ${lab} with ${rec.endpoints.length} endpoints`);
  }

  private emptyRecord(): LabRecord {
    return {
      version: LAB_STATE_VERSION,
      name: this.lab,
      nodeNetns: nodeNetnsName(this.lab),
      nodeIp: NODE_IP,
      endpoints: [],
      nextEndpointId: 1,
      identities: { endpoints: [], cidrs: [] },
      policyGeneration: 0,
      datapathLoaded: false,
    };
  }

  private save(): void {
    if (!this.record) return;
    this.record.identities = this.identities.snapshot();
    writeLabRecord(this.record, this.recordJson.record(this.record));
  }
}

/** What program() did: the compiled policy, the datapath's write counts, and the bundle as kept (unchanged policies as the objects applied before). */
interface ProgrammedPolicy {
  compiled: IncrementalCompiled;
  result: { written: number; deleted: number };
  bundle: PolicyBundle | undefined;
}

const KNOWN_MAPS: ReadonlySet<string> = new Set(Object.values(MapName));

function requireRoot(method: string): void {
  if (!isRoot()) {
    throw new ResponseError(AgentErrorCode.NotPrivileged,
      `${method} needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN) to create network namespaces and load eBPF; ` +
      'restart the agent as root (e.g. `sudo node dist/agent.js`) or pick a target where you are root');
  }
}

/** `name` or `<namespace>/<name>` → the workload's first replica. */
export function resolveEndpoint(endpoints: EndpointState[], ref: string, field: string): EndpointState {
  const [ns, name] = ref.includes('/') ? ref.split('/', 2) as [string, string] : [undefined, ref];
  const candidates = endpoints
    .filter((e) => e.workload === name && (ns === undefined || e.namespace === ns))
    .sort((a, b) => (a.namespace === 'default' ? -1 : 0) - (b.namespace === 'default' ? -1 : 0) || a.name.localeCompare(b.name, 'en', { numeric: true }));
  const ep = candidates[0];
  if (!ep) {
    const known = [...new Set(endpoints.map((e) => `${e.namespace}/${e.workload}`))].join(', ') || 'none';
    throw new ResponseError(AgentErrorCode.UnknownWorkload, `${field}: no workload ${JSON.stringify(ref)} with a running endpoint in the lab (known: ${known})`);
  }
  return ep;
}

function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join(' | ') || 'no log';
}
