/**
 * The Datapath on a real kernel: bpf/ compiled on the target, loaded by the
 * ps-loader child process in the node namespace, maps pinned in a map set
 * under opts.pinDir (map-sets.ts) and tcx links under opts.pinDir/links.
 *
 * Policy state (ipcache + rules + enforcement) lives in two slots switched by
 * ps_active: a change is written as a diff into the inactive slot, made
 * visible with one flip, then mirrored into the other slot. What the kernel
 * holds in maps only the agent writes is shadowed here, so a diff costs no
 * dump. A re-adopted pin dir (agent restart) converges from what the active
 * slot holds, without a flush and without a gap in enforcement.
 */
import { mkdir } from 'node:fs/promises';
import type { CompilerDiagnostic, DatapathBuildResult, DatapathState } from '../../protocol/agent-rpc';
import { ensureBpffs, removePinDir } from './bpffs';
import { monotonicMs } from './flow-record-reader';
import {
  bytesToIpv4, COUNTER_NAMES, COUNTER_RINGBUF_FULL, CT_STATE_NAMES, decodeConfig, decodeCtEntry, decodeCtKey, decodeEndpointInfo, decodeLxcInfo,
  encodeLxcInfo, decodeFragKey, decodeFragPorts, decodeIpcacheEntry, decodeIpcacheKey, decodePolicyActive, decodePolicyEntry, decodePolicyKey, decodeU32,
  encodeConfig, encodeEndpointInfo, encodeIpcacheEntry, encodeIpcacheKey, encodePolicyActive, encodePolicyEntry,
  encodePolicyKey, encodeU32, FlowEventLayout, fromHex, IDENTITY_ENFORCEMENT, ipcacheMapOf, MapName, POLICY_STATIC_PREFIX,
  policyMapOf, Program, sumPerCpuU64, toHex, type DatapathConfig,
} from './layouts';
import { ipv4ToBytes, parseCidr } from '../../protocol/cidr';
import { LoaderError, LoaderProcess, type LoaderResponse, type RecordBatch } from './loader-process';
import { currentMapSet, nextMapSet, removeMapSet, staleMapSets, type MapSet } from './map-sets';
import { CT_EXPIRES_OFFSET, migrateEntries } from './migrations';
import { PolicyRuleState, type RawDelta, type RawMap } from './policy-rule-state';
import { buildLoader, compileBpfObject } from './toolchain';
import type {
  ConntrackTimeouts, Datapath, DatapathCounters, DatapathOptions, EndpointConfig, IpcacheEntry, MapDump, PolicyCommit,
  FlowRecordBatch, PolicyEntry, PolicyState,
} from './types';
import { parseVerifierStats, verifierFailureLocation } from './verifier-log';

/** Flows kept for the first listener; beyond this the oldest unclaimed ones are what is kept. */
const MAX_UNCLAIMED_FLOWS = 10_000;

/** Entries per loader request, to keep protocol lines to a few megabytes. */
const BATCH_CHUNK = 8192;

/** How often expired conntrack entries are swept while an agent runs. */
const CT_GC_INTERVAL_MS = 15_000;

const MAP_TYPE_NAMES: Record<number, string> = {
  1: 'hash', 2: 'array', 3: 'prog_array', 6: 'percpu_array', 9: 'lru_hash', 11: 'lpm_trie', 27: 'ringbuf',
};
const PER_CPU_TYPES = new Set([5, 6, 10]);

interface LoadedObject { hash: string; programs: string[]; maps: string[]; result: DatapathBuildResult }

interface MapContents { entries: [string, string][]; type: number; maxEntries: number; keySize: number; valueSize: number }

/** A new map set being filled: links move to it at the end of the next setEndpoints(). */
interface PendingMigration { from: MapSet; to: MapSet }

export interface TestRunResult { retval: number; durationNs: number }

/** What a commit changes in the desired state: ipcache keys and policy-map keys (rules and enforcement). */
interface DesiredChange { ipcache: RawDelta; policy: RawDelta }

export class EbpfDatapath implements Datapath {
  private loaded: LoadedObject | undefined;
  private readonly recordListeners = new Set<(batch: FlowRecordBatch) => void>();
  private attachedInterfaces: string[] = [];
  private ringbufFullSeen = 0n;
  private watching = false;
  /** Flows that arrived before anyone listened (e.g. queued in the pinned ring buffer while no agent ran). */
  private unclaimedFlows: FlowRecordBatch[] = [];
  private unclaimedCount = 0;
  /** The result of the build done by open(), for callers that report it. */
  initialBuild: DatapathBuildResult | undefined;

  private mapSet: MapSet;
  private pending: PendingMigration | undefined;
  /** What maps only the agent writes hold in the kernel (hex), loaded by one dump each. */
  private shadows = new Map<string, RawMap>();
  /** The desired policy state, by part. */
  private desired: { ipcache: RawMap; rules: PolicyRuleState; enforcement: RawMap } | undefined;
  /**
   * Both slots are known to hold exactly `desired` (the last commit completed): the next
   * commit then writes only its change. False after a restart, a migration or a failed write.
   */
  private slotsLevel = false;
  private active = { slot: 0, generation: 0 };
  private config: DatapathConfig = { traceAll: false };
  private gcTimer: NodeJS.Timeout | undefined;

  private constructor(private readonly opts: DatapathOptions, private readonly loader: LoaderProcess) {
    this.mapSet = currentMapSet(opts.pinDir);
    loader.onRecords((batch) => { if (batch.map === MapName.events) this.deliver(batch); });
  }

  /** Hands a batch of flow records (one clock reading for all) to the record listeners as it is. */
  private deliver(records: RecordBatch): void {
    if (records.size < FlowEventLayout.size) {
      this.opts.log('warn', `undecodable flow events: records of ${records.size} bytes, expected ${FlowEventLayout.size}`);
      return;
    }
    const batch: FlowRecordBatch = { data: records.data, size: records.size, count: records.count, nowMs: Date.now(), nowMonoMs: monotonicMs() };
    if (this.recordListeners.size === 0) {
      if (this.unclaimedCount < MAX_UNCLAIMED_FLOWS) {
        this.unclaimedFlows.push(batch);
        this.unclaimedCount += batch.count;
      }
      return;
    }
    for (const l of this.recordListeners) l(batch);
  }

  /** The first listener gets what the ring buffer held when this datapath was (re)opened. */
  private takeUnclaimed(): FlowRecordBatch[] {
    const backlog = this.unclaimedFlows;
    this.unclaimedFlows = [];
    this.unclaimedCount = 0;
    return backlog;
  }

  /**
   * Builds the loader, starts it in the node namespace, points it at the pin
   * dir and builds + loads the datapath. A failed build does not throw: the
   * pins (if any) keep enforcing, and `initialBuild` says what went wrong.
   */
  static async open(opts: DatapathOptions): Promise<EbpfDatapath> {
    await ensureBpffs();
    await mkdir(opts.buildDir, { recursive: true });
    const loaderPath = await buildLoader(opts.bpfDir, opts.buildDir);
    const loader = await LoaderProcess.start(loaderPath, opts.nodeNetns, (level, msg) => opts.log(level, msg));
    const dp = new EbpfDatapath(opts, loader);
    try {
      await loader.request('pin-dir', opts.pinDir, dp.mapSet.dir);
      dp.initialBuild = await dp.build();
      if (!dp.initialBuild.ok) opts.log('error', `datapath ${dp.initialBuild.stage} failed; pinned state (if any) keeps enforcing`);
      await dp.watchEvents();
      await dp.refreshAttached();
      // Baseline for takeLostCount(): losses before this agent are not ours to report.
      dp.ringbufFullSeen = await dp.readCounter(COUNTER_RINGBUF_FULL).catch(() => 0n);
      dp.gcTimer = setInterval(() => { void dp.gcConntrack().catch(() => undefined); }, CT_GC_INTERVAL_MS);
      dp.gcTimer.unref();
    } catch (err) {
      await loader.stop();
      throw err;
    }
    return dp;
  }

  private async watchEvents(): Promise<void> {
    if (this.watching) return;
    const res = await this.loader.watch(MapName.events);
    this.watching = res.ok;
    if (!res.ok) this.opts.log('warn', `no flow events yet: ${res.error}`);
  }

  async build(options: { force?: boolean } = {}): Promise<DatapathBuildResult> {
    const compiled = await compileBpfObject(this.opts.bpfDir, this.opts.buildDir);
    if (!compiled.ok) {
      return {
        ok: false, stage: 'compile', compileMs: compiled.compileMs, diagnostics: compiled.diagnostics,
        programs: [], verifierLog: compiled.output,
      };
    }
    if (this.loaded && this.loaded.hash === compiled.hash && !options.force) return this.loaded.result;

    const started = Date.now();
    let res = await this.loader.requestRaw('load', compiled.objectPath);
    if (!res.ok && isPinMismatch(res) && !this.pending) {
      // The map definitions changed since these pins were made: build a new map set beside the live one.
      const to = nextMapSet(this.opts.pinDir, this.mapSet);
      this.opts.log('info', `map layouts changed: loading into ${to.dir}; ${this.mapSet.dir} keeps enforcing until the new set is filled`);
      await this.loader.request('pin-dir', this.opts.pinDir, to.dir);
      res = await this.loader.requestRaw('load', compiled.objectPath, 'noswap');
      if (res.ok) {
        this.pending = { from: this.mapSet, to };
        this.mapSet = to;
        this.shadows.clear();
        this.desired = undefined;
        this.slotsLevel = false;
        this.active = { slot: 0, generation: 0 };
      } else {
        await this.loader.request('pin-dir', this.opts.pinDir, this.mapSet.dir);
        removeMapSet(this.opts.pinDir, to);
      }
    }
    const loadMs = Date.now() - started;
    if (!res.ok) {
      const log = String(res.log ?? '') || String(res.error ?? '');
      const where = verifierFailureLocation(log);
      const diagnostics: CompilerDiagnostic[] = [...compiled.diagnostics];
      if (where) {
        const lastLine = log.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('-- ') && !/^libbpf:|^processed /.test(l));
        diagnostics.push({ file: where.file, line: where.line, column: 1, severity: 'error', message: `verifier: ${lastLine.at(-1) ?? res.error}` });
      }
      return { ok: false, stage: 'load', compileMs: compiled.compileMs, loadMs, diagnostics, programs: [], verifierLog: `${res.error}\n${log}` };
    }
    const programs = (res.programs as { name: string; verifiedInsns: number; log: string }[]);
    const result: DatapathBuildResult = {
      ok: true,
      compileMs: compiled.compileMs,
      loadMs,
      diagnostics: compiled.diagnostics,
      programs: programs.map((p) => parseVerifierStats(p.name, p.log, p.verifiedInsns)),
      verifierLog: programs.map((p) => `${p.name}:\n${p.log}`).join('\n'),
    };
    // Internal maps (.bss of the BTF anchor) are libbpf's, not the datapath's.
    const maps = (res.maps as string[]).filter((m) => !m.includes('.'));
    this.loaded = { hash: compiled.hash, programs: programs.map((p) => p.name), maps, result };
    if (this.pending) {
      // Runtime configuration is ours to restore; the rest is rebuilt by the next apply.
      await this.writeConfig();
    } else {
      await this.readActive();
      for (const stale of staleMapSets(this.opts.pinDir, this.mapSet)) removeMapSet(this.opts.pinDir, stale);
    }
    await this.watchEvents();
    return result;
  }

  state(): DatapathState {
    return {
      loaded: this.loaded !== undefined,
      pinDir: this.opts.pinDir,
      programs: this.loaded?.programs ?? [],
      maps: this.loaded?.maps ?? [],
      attachedInterfaces: [...this.attachedInterfaces],
      objectHash: this.loaded?.hash,
    };
  }

  /** The map set in use, and whether a migration waits for its link swap. */
  mapSetInfo(): { dir: string; migrating: boolean } {
    return { dir: this.mapSet.dir, migrating: this.pending !== undefined };
  }

  policyGeneration(): { slot: number; generation: number } {
    return { ...this.active };
  }

  /** The interfaces with pinned links, from the pin names `<ifname>-<hook>`. */
  private async refreshAttached(): Promise<Map<string, string[]>> {
    const res = await this.loader.request('links');
    const byIf = new Map<string, string[]>();
    for (const link of res.links as { pin: string }[]) {
      const dash = link.pin.lastIndexOf('-');
      const ifname = link.pin.slice(0, dash);
      byIf.set(ifname, [...(byIf.get(ifname) ?? []), link.pin.slice(dash + 1)]);
    }
    this.attachedInterfaces = [...byIf.keys()].sort();
    return byIf;
  }

  async setEndpoints(endpoints: EndpointConfig[]): Promise<void> {
    if (!this.loaded) throw new Error('datapath not loaded: build() must succeed before endpoints can be attached');
    // Enforcement first (atomically with the rest of the policy state): a new endpoint is never briefly default-allow.
    const desired = await this.desiredState();
    const enforcement = enforcementEntries(endpoints);
    const policy = diffMaps(desired.enforcement, enforcement);
    desired.enforcement = enforcement;
    await this.commit({ ipcache: new Map(), policy });

    const wanted = new Map(endpoints.map((e) => [e.ifname, e]));
    const pinned = await this.refreshAttached();
    for (const [ifname, hooks] of pinned) {
      if (wanted.has(ifname)) continue;
      for (const hook of hooks) await this.loader.request('detach', ifname, hook);
    }

    const endpointMap: RawMap = new Map();
    const localMap: RawMap = new Map();
    for (const e of endpoints) {
      const ifindex = Number((await this.loader.request('ifindex', e.ifname)).ifindex);
      endpointMap.set(toHex(encodeU32(ifindex)), toHex(encodeEndpointInfo({ endpointId: e.endpointId, identity: e.identity })));
      if (e.mac && e.hostMac) {
        localMap.set(toHex(ipv4ToBytes(e.ip)), toHex(encodeLxcInfo({ ifindex, endpointId: e.endpointId, mac: e.mac, nodeMac: e.hostMac })));
      }
    }
    // The endpoint entry goes in before the links: an attached program never sees an unknown endpoint.
    await this.syncMap(MapName.endpoints, endpointMap);
    if (this.pending) await this.finishMigration();
    for (const e of endpoints) {
      await this.loader.request('attach', Program.toEndpoint.name, e.ifname, Program.toEndpoint.hook);
      await this.loader.request('attach', Program.fromEndpoint.name, e.ifname, Program.fromEndpoint.hook);
    }
    await this.refreshAttached();
    // Local delivery last: a packet is redirected only to a veth whose to_endpoint is attached.
    await this.syncMap(MapName.localEndpoints, localMap);
  }

  async clearLocalDelivery(): Promise<void> {
    await this.syncMap(MapName.localEndpoints, new Map());
  }

  /**
   * The new map set is complete (policy, endpoints, config): carry conntrack
   * and counters over, move every link to the new programs, carry over what
   * the old programs added meanwhile, and unpin the old set.
   */
  private async finishMigration(): Promise<void> {
    const { from } = this.pending!;
    await this.copyFromOldSet(from);
    await this.loader.request('swap');
    await this.copyFromOldSet(from, [MapName.conntrack]);
    removeMapSet(this.opts.pinDir, from);
    this.pending = undefined;
    this.opts.log('info', `datapath maps migrated to ${this.mapSet.dir}`);
  }

  private async copyFromOldSet(from: MapSet, only?: string[]): Promise<void> {
    for (const name of only ?? Object.values(MapName)) {
      const old = await this.loader.requestRaw('dump', `${from.dir}/${name}`);
      if (!old.ok) continue;
      const now = await this.dumpRaw(name);
      const entries = migrateEntries(name, {
        keySize: Number(old.keySize), valueSize: Number(old.valueSize), entries: old.entries as [string, string][],
      }, now.keySize, now.valueSize, PER_CPU_TYPES.has(now.type));
      if (!entries || entries.length === 0) continue;
      const have = new Map(now.entries);
      // Entries the new programs already wrote are newer than the old set's.
      const writes = only ? entries.filter(([k]) => !have.has(k)) : entries;
      await this.writeBatches(name, writes);
    }
  }

  async setIpcache(entries: IpcacheEntry[]): Promise<void> {
    const desired = await this.desiredState();
    const ipcache = ipcacheEntries(entries);
    const change = diffMaps(desired.ipcache, ipcache);
    desired.ipcache = ipcache;
    await this.commit({ ipcache: change, policy: new Map() });
  }

  async setPolicy(entries: PolicyEntry[]): Promise<{ written: number; deleted: number }> {
    const policy = (await this.desiredState()).rules.update([entries], false);
    const { written, deleted } = await this.commit({ ipcache: new Map(), policy });
    return { written, deleted };
  }

  async applyPolicyState(state: PolicyState): Promise<PolicyCommit> {
    const desired = await this.desiredState();
    const ipcache = ipcacheEntries(state.ipcache);
    const enforcement = enforcementEntries(state.endpoints);
    // Rules: per policy part when the caller hands them (only changed parts cost anything), else as one part.
    const policy = state.entryParts ? desired.rules.update(state.entryParts, true) : desired.rules.update([state.entries], false);
    for (const [k, v] of diffMaps(desired.enforcement, enforcement)) policy.set(k, v);
    const change = { ipcache: diffMaps(desired.ipcache, ipcache), policy };
    desired.ipcache = ipcache;
    desired.enforcement = enforcement;
    state.timing?.mark('resolve');
    return this.commit(change, state.timing);
  }

  /** The desired state starts as what the active slot holds (a re-adopted datapath keeps enforcing it). */
  private async desiredState(): Promise<{ ipcache: RawMap; rules: PolicyRuleState; enforcement: RawMap }> {
    if (!this.loaded) throw new Error('datapath not loaded: build() must succeed first');
    if (!this.desired) {
      const ipcache = new Map(await this.shadowOf(ipcacheMapOf(this.active.slot)));
      const rules: RawMap = new Map();
      const enforcement: RawMap = new Map();
      for (const [k, v] of await this.shadowOf(policyMapOf(this.active.slot))) {
        (decodePolicyKey(fromHex(k)).identity === IDENTITY_ENFORCEMENT ? enforcement : rules).set(k, v);
      }
      this.desired = { ipcache, rules: new PolicyRuleState(rules), enforcement };
      this.slotsLevel = false;
    }
    return this.desired;
  }

  /**
   * Inactive slot ← change; flip; other slot ← change. Both slots held the
   * desired state before, so the change is all there is to write. When that is
   * not known (first commit, re-adopted or migrated maps, a failed write), the
   * slots are diffed against the whole desired state instead.
   */
  private async commit(change: DesiredChange, timing?: PolicyState['timing']): Promise<PolicyCommit> {
    if (!this.slotsLevel) return this.commitWhole(timing);
    if (change.ipcache.size === 0 && change.policy.size === 0) return { written: 0, deleted: 0, generation: this.active.generation };
    const cur = this.active.slot;
    const next = cur ^ 1;
    try {
      const a = await this.writeDelta(ipcacheMapOf(next), change.ipcache);
      const b = await this.writeDelta(policyMapOf(next), change.policy);
      timing?.mark('write');
      const generation = await this.flip(next);
      timing?.mark('flip');
      await this.settleAfterFlip();
      await this.writeDelta(ipcacheMapOf(cur), change.ipcache);
      await this.writeDelta(policyMapOf(cur), change.policy);
      timing?.mark('mirror');
      return { written: a.written + b.written, deleted: a.deleted + b.deleted, generation };
    } catch (err) {
      this.slotsLevel = false;
      throw err;
    }
  }

  /** Both slots diffed against the whole desired state (the shadows, dumped once, say what they hold). */
  private async commitWhole(timing?: PolicyState['timing']): Promise<PolicyCommit> {
    const desired = this.desired!;
    const policy: RawMap = new Map([...desired.rules.current, ...desired.enforcement]);
    const cur = this.active.slot;
    const next = cur ^ 1;
    if (sameMap(await this.shadowOf(ipcacheMapOf(cur)), desired.ipcache) && sameMap(await this.shadowOf(policyMapOf(cur)), policy)) {
      // Nothing to flip; bring the inactive slot level too (it may be half-written by an agent that died).
      await this.syncMap(ipcacheMapOf(next), desired.ipcache);
      await this.syncMap(policyMapOf(next), policy);
      this.slotsLevel = true;
      return { written: 0, deleted: 0, generation: this.active.generation };
    }
    const a = await this.syncMap(ipcacheMapOf(next), desired.ipcache);
    const b = await this.syncMap(policyMapOf(next), policy);
    timing?.mark('write');
    const generation = await this.flip(next);
    timing?.mark('flip');
    await this.settleAfterFlip();
    await this.syncMap(ipcacheMapOf(cur), desired.ipcache);
    await this.syncMap(policyMapOf(cur), policy);
    timing?.mark('mirror');
    this.slotsLevel = true;
    return { written: a.written + b.written, deleted: a.deleted + b.deleted, generation };
  }

  /** Packets read `slot` from the next lookup of ps_active on: the one write that makes a change visible. */
  private async flip(slot: number): Promise<number> {
    const generation = (this.active.generation + 1) >>> 0;
    await this.loader.request('update', MapName.active, toHex(encodeU32(0)), toHex(encodePolicyActive({ slot, generation })));
    this.active = { slot, generation };
    return generation;
  }

  /** Packets that read the old slot just before the flip finish within microseconds; give them that before reusing it. */
  private settleAfterFlip(): Promise<void> {
    return new Promise((r) => setTimeout(r, 1));
  }

  private async readActive(): Promise<void> {
    const res = await this.loader.request('lookup', MapName.active, toHex(encodeU32(0)));
    this.active = res.found ? decodePolicyActive(fromHex(String(res.value))) : { slot: 0, generation: 0 };
    this.active.slot = this.active.slot ? 1 : 0;
    const cfg = await this.loader.request('lookup', MapName.config, toHex(encodeU32(0)));
    if (cfg.found) this.config = decodeConfig(fromHex(String(cfg.value)));
  }

  private async shadowOf(map: string): Promise<RawMap> {
    let shadow = this.shadows.get(map);
    if (!shadow) {
      shadow = new Map((await this.dumpRaw(map)).entries);
      this.shadows.set(map, shadow);
    }
    return shadow;
  }

  /** Makes a map only the agent writes hold exactly `desired` (hex key → hex value), writing only the difference. */
  private async syncMap(map: string, desired: RawMap): Promise<{ written: number; deleted: number }> {
    const current = await this.shadowOf(map);
    const writes: [string, string][] = [];
    for (const [k, v] of desired) if (current.get(k) !== v) writes.push([k, v]);
    const deletes = [...current.keys()].filter((k) => !desired.has(k));
    return this.writeAndDelete(map, current, writes, deletes);
  }

  /** Update-batch then delete-batch on `map`, keeping its shadow `current` in step. */
  private async writeAndDelete(map: string, current: RawMap, writes: [string, string][], deletes: string[]): Promise<{ written: number; deleted: number }> {
    try {
      await this.writeBatches(map, writes);
      for (let i = 0; i < deletes.length; i += BATCH_CHUNK) {
        await this.loader.request('delete-batch', map, deletes.slice(i, i + BATCH_CHUNK).join(''));
      }
    } catch (err) {
      // Unknown how much landed: the next sync dumps again.
      this.shadows.delete(map);
      throw err;
    }
    for (const [k, v] of writes) current.set(k, v);
    for (const k of deletes) current.delete(k);
    return { written: writes.length, deleted: deletes.length };
  }

  /** Writes a change into a map whose shadow is known (hex key → value, undefined deletes). */
  private async writeDelta(map: string, delta: RawDelta): Promise<{ written: number; deleted: number }> {
    const current = await this.shadowOf(map);
    const writes: [string, string][] = [];
    const deletes: string[] = [];
    for (const [k, v] of delta) {
      if (v === undefined) {
        if (current.has(k)) deletes.push(k);
      } else if (current.get(k) !== v) {
        writes.push([k, v]);
      }
    }
    return this.writeAndDelete(map, current, writes, deletes);
  }

  private async writeBatches(map: string, writes: [string, string][]): Promise<void> {
    for (let i = 0; i < writes.length; i += BATCH_CHUNK) {
      const chunk = writes.slice(i, i + BATCH_CHUNK);
      await this.loader.request('update-batch', map, chunk.map(([k]) => k).join(''), chunk.map(([, v]) => v).join(''));
    }
  }

  private async dumpRaw(map: string): Promise<MapContents> {
    const res = await this.loader.request('dump', map);
    return {
      entries: res.entries as [string, string][], type: Number(res.type), maxEntries: Number(res.maxEntries),
      keySize: Number(res.keySize), valueSize: Number(res.valueSize),
    };
  }

  private async writeConfig(): Promise<void> {
    await this.loader.request('update', MapName.config, toHex(encodeU32(0)), toHex(encodeConfig(this.config)));
  }

  async setTraceAll(on: boolean): Promise<void> {
    this.config = { ...this.config, traceAll: on };
    await this.writeConfig();
  }

  async setRouteLocal(on: boolean): Promise<void> {
    this.config = { ...this.config, routeLocal: on };
    await this.writeConfig();
  }

  async setConntrackTimeouts(t: ConntrackTimeouts): Promise<void> {
    this.config = {
      ...this.config, ctTcpSeconds: t.tcpSeconds, ctNonTcpSeconds: t.nonTcpSeconds, ctSynSeconds: t.synSeconds, ctCloseSeconds: t.closeSeconds,
    };
    await this.writeConfig();
  }

  async gcConntrack(): Promise<{ deleted: number; kept: number }> {
    const res = await this.loader.request('gc-expired', MapName.conntrack, String(CT_EXPIRES_OFFSET));
    return { deleted: Number(res.deleted), kept: Number(res.kept) };
  }

  onFlowRecords(listener: (batch: FlowRecordBatch) => void): { dispose(): void } {
    this.recordListeners.add(listener);
    const backlog = this.takeUnclaimed();
    if (backlog.length > 0) setImmediate(() => { for (const batch of backlog) listener(batch); });
    return { dispose: () => { this.recordListeners.delete(listener); } };
  }

  private async readCounter(index: number): Promise<bigint> {
    const res = await this.loader.request('lookup', MapName.counters, toHex(encodeU32(index)));
    return res.found ? sumPerCpuU64(fromHex(String(res.value))) : 0n;
  }

  async takeLostCount(): Promise<number> {
    const total = await this.readCounter(COUNTER_RINGBUF_FULL);
    const lost = total - this.ringbufFullSeen;
    this.ringbufFullSeen = total;
    return Number(lost < 0n ? 0n : lost);
  }

  /** Per-CPU counters summed: packets, forwarded, dropped, ring buffer full, …, and drops by reason. */
  async counters(): Promise<DatapathCounters> {
    const counters: Record<string, number> = {};
    for (const [k, v] of (await this.dumpRaw(MapName.counters)).entries) {
      const name = COUNTER_NAMES[decodeU32(fromHex(k))];
      if (name) counters[name] = Number(sumPerCpuU64(fromHex(v)));
    }
    const drops: Record<number, number> = {};
    for (const [k, v] of (await this.dumpRaw(MapName.drops)).entries) {
      const n = Number(sumPerCpuU64(fromHex(v)));
      if (n > 0) drops[decodeU32(fromHex(k))] = n;
    }
    return { counters, drops };
  }

  async dumpMaps(names?: readonly string[]): Promise<MapDump[]> {
    const policy = (k: Uint8Array, v: Uint8Array) => {
      const key = decodePolicyKey(k);
      const value = decodePolicyEntry(v);
      if (key.identity === IDENTITY_ENFORCEMENT) {
        return { key: { endpointId: key.endpointId, direction: key.direction === 0 ? 'ingress' : 'egress', enforcement: true }, value: { policyCookie: value.cookie } };
      }
      const l4 = key.prefixlen - POLICY_STATIC_PREFIX;
      const portBits = Math.max(0, l4 - 8);
      const span = portBits === 0 ? 0x10000 : 2 ** (16 - portBits);
      return {
        key: {
          endpointId: key.endpointId, identity: key.identity, direction: key.direction === 0 ? 'ingress' : 'egress',
          protocol: l4 >= 8 ? key.protocol : 0,
          ...(l4 > 8 ? { portStart: key.port, portEnd: key.port + span - 1 } : {}),
          prefixlen: key.prefixlen,
        },
        value: { action: value.deny ? 'deny' : 'allow', cookie: value.cookie },
      };
    };
    const ipcache = (k: Uint8Array, v: Uint8Array) => {
      const key = decodeIpcacheKey(k);
      return { key: { cidr: `${key.addr}/${key.prefixlen}` }, value: decodeIpcacheEntry(v) };
    };
    const perCpu = (label: (k: Uint8Array) => string | number) => (k: Uint8Array, v: Uint8Array) =>
      ({ key: { index: label(k) }, value: { count: Number(sumPerCpuU64(v)) } });
    const decoders: Record<string, (k: Uint8Array, v: Uint8Array) => MapDump['entries'][number]> = {
      [MapName.endpoints]: (k, v) => ({ key: { ifindex: decodeU32(k) }, value: { ...decodeEndpointInfo(v) } }),
      [MapName.localEndpoints]: (k, v) => ({ key: { ip: bytesToIpv4(k) }, value: { ...decodeLxcInfo(v) } }),
      [MapName.ipcache0]: ipcache,
      [MapName.ipcache1]: ipcache,
      [MapName.policy0]: policy,
      [MapName.policy1]: policy,
      [MapName.active]: (_k, v) => ({ key: { index: 0 }, value: decodePolicyActive(v) }),
      [MapName.fragments]: (k, v) => ({ key: decodeFragKey(k), value: decodeFragPorts(v) }),
      [MapName.conntrack]: (k, v) => {
        const e = decodeCtEntry(v);
        return {
          key: decodeCtKey(k),
          value: {
            cookie: e.cookie, packets: e.packets, state: CT_STATE_NAMES[e.state] ?? String(e.state),
            tcpFlagsOrig: e.tcpFlagsOrig, tcpFlagsReply: e.tcpFlagsReply,
            createdNs: e.createdNs.toString(), lastSeenNs: e.lastSeenNs.toString(), expiresNs: e.expiresNs.toString(),
          },
        };
      },
      [MapName.config]: (_k, v) => ({ key: { index: 0 }, value: { ...decodeConfig(v) } }),
      [MapName.counters]: perCpu((k) => COUNTER_NAMES[decodeU32(k)] ?? decodeU32(k)),
      [MapName.drops]: perCpu((k) => decodeU32(k)),
    };
    const out: MapDump[] = [];
    for (const name of names ?? Object.values(MapName)) {
      const raw = await this.dumpRaw(name);
      const decode = decoders[name];
      let entries = raw.entries;
      // Per-CPU arrays always have every index: only the non-zero ones say something.
      if (name === MapName.drops || name === MapName.counters) entries = entries.filter(([, v]) => sumPerCpuU64(fromHex(v)) > 0n || name === MapName.counters);
      out.push({
        name,
        type: MAP_TYPE_NAMES[raw.type] ?? String(raw.type),
        maxEntries: raw.maxEntries,
        fill: entries.length,
        entries: decode ? entries.map(([k, v]) => decode(fromHex(k), fromHex(v))) : [],
      });
    }
    return out;
  }

  /** Runs a program on a crafted packet with BPF_PROG_TEST_RUN, as if it were on `ifname` (`repeat` times in the kernel). */
  async testRun(program: string, ifname: string, packet: Uint8Array, repeat = 1): Promise<TestRunResult> {
    const ifindex = Number((await this.loader.request('ifindex', ifname)).ifindex);
    const res: LoaderResponse = await this.loader.request('test-run', program, String(ifindex), toHex(packet), String(Math.max(1, Math.floor(repeat))));
    return { retval: Number(res.retval), durationNs: Number(res.durationNs) };
  }

  async close(): Promise<void> {
    if (this.gcTimer) clearInterval(this.gcTimer);
    await this.loader.stop();
  }

  async destroy(): Promise<void> {
    if (this.gcTimer) clearInterval(this.gcTimer);
    await this.loader.stop();
    // Unpinning the links detaches the programs; unpinning the maps frees them.
    await removePinDir(this.opts.pinDir);
    this.attachedInterfaces = [];
    this.loaded = undefined;
  }
}

function isPinMismatch(res: LoaderResponse): boolean {
  return /couldn't reuse pinned map|parameter mismatch/i.test(`${String(res.log ?? '')}\n${String(res.error ?? '')}`);
}

function sameMap(a: RawMap, b: RawMap): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

function ipcacheEntries(entries: readonly IpcacheEntry[]): RawMap {
  const out: RawMap = new Map();
  for (const entry of entries) {
    const { network, prefixLength } = parseCidr(entry.cidr);
    out.set(toHex(encodeIpcacheKey(prefixLength, network)), toHex(encodeIpcacheEntry(entry.identity)));
  }
  return out;
}

/** What turns `from` into `to`: changed and new keys with their value, gone keys with undefined. */
function diffMaps(from: RawMap, to: RawMap): RawDelta {
  const out: RawDelta = new Map();
  for (const [k, v] of to) if (from.get(k) !== v) out.set(k, v);
  for (const k of from.keys()) if (!to.has(k)) out.set(k, undefined);
  return out;
}

/** The enforcement entries (policy.h): one per endpoint and direction a policy selects. */
function enforcementEntries(endpoints: readonly EndpointConfig[]): RawMap {
  const out: RawMap = new Map();
  for (const e of endpoints) {
    for (const [direction, cookie] of [[0, e.ingressPolicyCookie], [1, e.egressPolicyCookie]] as const) {
      if (!cookie) continue;
      const key = { prefixlen: POLICY_STATIC_PREFIX, endpointId: e.endpointId, identity: IDENTITY_ENFORCEMENT, direction, protocol: 0, port: 0 };
      out.set(toHex(encodePolicyKey(key)), toHex(encodePolicyEntry({ deny: false, cookie })));
    }
  }
  return out;
}

export { LoaderError };
