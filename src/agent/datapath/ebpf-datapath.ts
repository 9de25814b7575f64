/**
 * The Datapath on a real kernel: bpf/ compiled on the target, loaded by the
 * ps-loader child process in the node namespace, maps and tcx links pinned
 * under opts.pinDir. Map contents are always computed in full and written as
 * a diff against what the kernel holds, so a re-adopted pin dir (agent
 * restart) converges without a flush and without a gap in enforcement.
 */
import { mkdir } from 'node:fs/promises';
import type { CompilerDiagnostic, DatapathBuildResult, DatapathState } from '../../protocol/agent-rpc';
import { ensureBpffs, removePinDir } from './bpffs';
import { decodeFlowEvent } from './flow-decoder';
import {
  COUNTER_NAMES, COUNTER_RINGBUF_FULL, decodeConfig, decodeCtEntry, decodeCtKey, decodeEndpointInfo,
  decodeIpcacheEntry, decodeIpcacheKey, decodePolicyEntry, decodePolicyKey, decodeU32, encodeConfig,
  encodeEndpointInfo, encodeIpcacheEntry, encodeIpcacheKey, encodePolicyEntry, encodePolicyKey, encodeU32,
  fromHex, MapName, Program, sumPerCpuU64, toHex,
} from './layouts';
import { LoaderError, LoaderProcess, type LoaderResponse } from './loader-process';
import { resolvePolicyEntries } from './policy-entries';
import { buildLoader, compileBpfObject } from './toolchain';
import type { Datapath, DatapathOptions, EndpointConfig, IpcacheEntry, MapDump, PolicyEntry, RawFlow } from './types';
import { parseVerifierStats, verifierFailureLocation } from './verifier-log';

/** Flows kept for the first listener; beyond this the oldest unclaimed ones are what is kept. */
const MAX_UNCLAIMED_FLOWS = 10_000;

/** Entries per loader request, to keep protocol lines to a few megabytes. */
const BATCH_CHUNK = 8192;

const MAP_TYPE_NAMES: Record<number, string> = {
  1: 'hash', 2: 'array', 6: 'percpu_array', 9: 'lru_hash', 11: 'lpm_trie', 27: 'ringbuf',
};

interface LoadedObject { hash: string; programs: string[]; maps: string[]; result: DatapathBuildResult }

interface MapContents { entries: [string, string][]; type: number; maxEntries: number }

export interface TestRunResult { retval: number; durationNs: number }

export class EbpfDatapath implements Datapath {
  private loaded: LoadedObject | undefined;
  private readonly flowListeners = new Set<(flow: RawFlow) => void>();
  private attachedInterfaces: string[] = [];
  private ringbufFullSeen = 0n;
  private watching = false;
  /** Flows that arrived before anyone listened (e.g. queued in the pinned ring buffer while no agent ran). */
  private unclaimedFlows: RawFlow[] = [];
  /** The result of the build done by open(), for callers that report it. */
  initialBuild: DatapathBuildResult | undefined;

  private constructor(private readonly opts: DatapathOptions, private readonly loader: LoaderProcess) {
    loader.onRecord((map, data) => {
      if (map !== MapName.events) return;
      let flow: RawFlow;
      try {
        flow = decodeFlowEvent(data);
      } catch (err) {
        opts.log('warn', `undecodable flow event: ${(err as Error).message}`);
        return;
      }
      if (this.flowListeners.size === 0) {
        if (this.unclaimedFlows.length < MAX_UNCLAIMED_FLOWS) this.unclaimedFlows.push(flow);
        return;
      }
      for (const l of this.flowListeners) l(flow);
    });
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
      await loader.request('pin-dir', opts.pinDir);
      dp.initialBuild = await dp.build();
      if (!dp.initialBuild.ok) opts.log('error', `datapath ${dp.initialBuild.stage} failed; pinned state (if any) keeps enforcing`);
      await dp.watchEvents();
      await dp.refreshAttached();
      // Baseline for takeLostCount(): losses before this agent are not ours to report.
      dp.ringbufFullSeen = await dp.readCounter(COUNTER_RINGBUF_FULL).catch(() => 0n);
    } catch (err) {
      await loader.stop();
      throw err;
    }
    return dp;
  }

  private async watchEvents(): Promise<void> {
    if (this.watching) return;
    const res = await this.loader.requestRaw('watch', MapName.events);
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
    const res = await this.loader.requestRaw('load', compiled.objectPath);
    const loadMs = Date.now() - started;
    if (!res.ok) {
      let log = String(res.log ?? '') || String(res.error ?? '');
      if (/couldn't reuse pinned map|parameter mismatch/i.test(log)) {
        // The datapath's map definitions changed since these pins were made: they need a migration or a fresh lab.
        log = `The maps pinned under ${this.opts.pinDir} were created by a datapath with other map definitions; tear the lab down (or remove the pins) to load this one.\n${log}`;
      }
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
    const wanted = new Map(endpoints.map((e) => [e.ifname, e]));
    const pinned = await this.refreshAttached();
    for (const [ifname, hooks] of pinned) {
      if (wanted.has(ifname)) continue;
      for (const hook of hooks) await this.loader.request('detach', ifname, hook);
    }

    const desired = new Map<string, string>();
    const ifindexOf = new Map<string, number>();
    for (const e of endpoints) {
      const res = await this.loader.request('ifindex', e.ifname);
      const ifindex = Number(res.ifindex);
      ifindexOf.set(e.ifname, ifindex);
      desired.set(toHex(encodeU32(ifindex)), toHex(encodeEndpointInfo({
        endpointId: e.endpointId, identity: e.identity,
        ingressPolicyCookie: e.ingressPolicyCookie, egressPolicyCookie: e.egressPolicyCookie,
      })));
    }
    // The endpoint entry goes in before the links: an attached program never sees an unknown endpoint.
    await this.syncMap(MapName.endpoints, desired);
    for (const e of endpoints) {
      await this.loader.request('attach', Program.toEndpoint.name, e.ifname, Program.toEndpoint.hook);
      await this.loader.request('attach', Program.fromEndpoint.name, e.ifname, Program.fromEndpoint.hook);
    }
    await this.refreshAttached();
  }

  async setIpcache(entries: IpcacheEntry[]): Promise<void> {
    const desired = new Map<string, string>();
    for (const entry of entries) {
      const { addr, prefixlen } = parseCidr(entry.cidr);
      desired.set(toHex(encodeIpcacheKey(prefixlen, addr)), toHex(encodeIpcacheEntry(entry.identity)));
    }
    await this.syncMap(MapName.ipcache, desired);
  }

  async setPolicy(entries: PolicyEntry[]): Promise<{ written: number; deleted: number }> {
    const desired = new Map<string, string>();
    // Denies first: while the diff is being written, a new deny is never later than its allow.
    const resolved = resolvePolicyEntries(entries).sort((a, b) => Number(b.deny) - Number(a.deny));
    for (const e of resolved) desired.set(toHex(encodePolicyKey(e)), toHex(encodePolicyEntry(e)));
    return this.syncMap(MapName.policy, desired);
  }

  /** Makes a map hold exactly `desired` (hex key → hex value), writing only the difference. */
  private async syncMap(map: string, desired: Map<string, string>): Promise<{ written: number; deleted: number }> {
    const current = new Map((await this.dumpRaw(map)).entries);
    const writes: [string, string][] = [];
    for (const [k, v] of desired) if (current.get(k) !== v) writes.push([k, v]);
    const deletes = [...current.keys()].filter((k) => !desired.has(k));
    for (let i = 0; i < writes.length; i += BATCH_CHUNK) {
      const chunk = writes.slice(i, i + BATCH_CHUNK);
      await this.loader.request('update-batch', map, chunk.map(([k]) => k).join(''), chunk.map(([, v]) => v).join(''));
    }
    for (let i = 0; i < deletes.length; i += BATCH_CHUNK) {
      await this.loader.request('delete-batch', map, deletes.slice(i, i + BATCH_CHUNK).join(''));
    }
    return { written: writes.length, deleted: deletes.length };
  }

  private async dumpRaw(map: string): Promise<MapContents> {
    const res = await this.loader.request('dump', map);
    return { entries: res.entries as [string, string][], type: Number(res.type), maxEntries: Number(res.maxEntries) };
  }

  async setTraceAll(on: boolean): Promise<void> {
    await this.loader.request('update', MapName.config, toHex(encodeU32(0)), toHex(encodeConfig({ traceAll: on })));
  }

  onFlow(listener: (flow: RawFlow) => void): { dispose(): void } {
    this.flowListeners.add(listener);
    if (this.unclaimedFlows.length > 0) {
      // The first listener gets what the ring buffer held when this datapath was (re)opened.
      const backlog = this.unclaimedFlows;
      this.unclaimedFlows = [];
      setImmediate(() => { for (const flow of backlog) listener(flow); });
    }
    return { dispose: () => { this.flowListeners.delete(listener); } };
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

  /** Per-CPU counters summed: packets, forwarded, dropped by reason, ring buffer full, … */
  async counters(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const [k, v] of (await this.dumpRaw(MapName.counters)).entries) {
      const name = COUNTER_NAMES[decodeU32(fromHex(k))];
      if (name) out[name] = Number(sumPerCpuU64(fromHex(v)));
    }
    return out;
  }

  async dumpMaps(): Promise<MapDump[]> {
    const decoders: Record<string, (k: Uint8Array, v: Uint8Array) => { key: unknown; value: unknown }> = {
      [MapName.endpoints]: (k, v) => ({ key: { ifindex: decodeU32(k) }, value: decodeEndpointInfo(v) }),
      [MapName.ipcache]: (k, v) => {
        const key = decodeIpcacheKey(k);
        return { key: { cidr: `${key.addr}/${key.prefixlen}` }, value: decodeIpcacheEntry(v) };
      },
      [MapName.policy]: (k, v) => ({ key: decodePolicyKey(k), value: decodePolicyEntry(v) }),
      [MapName.conntrack]: (k, v) => ({ key: decodeCtKey(k), value: decodeCtEntry(v) }),
      [MapName.config]: (_k, v) => ({ key: 0, value: decodeConfig(v) }),
      [MapName.counters]: (k, v) => ({ key: COUNTER_NAMES[decodeU32(k)] ?? decodeU32(k), value: Number(sumPerCpuU64(v)) }),
    };
    const out: MapDump[] = [];
    for (const name of Object.values(MapName)) {
      const raw = await this.dumpRaw(name);
      const decode = decoders[name];
      out.push({
        name,
        type: MAP_TYPE_NAMES[raw.type] ?? String(raw.type),
        maxEntries: raw.maxEntries,
        entries: decode ? raw.entries.map(([k, v]) => decode(fromHex(k), fromHex(v))) : [],
      });
    }
    return out;
  }

  /** Runs a program on a crafted packet with BPF_PROG_TEST_RUN, as if it were on `ifname`. */
  async testRun(program: string, ifname: string, packet: Uint8Array): Promise<TestRunResult> {
    const ifindex = Number((await this.loader.request('ifindex', ifname)).ifindex);
    const res: LoaderResponse = await this.loader.request('test-run', program, String(ifindex), toHex(packet));
    return { retval: Number(res.retval), durationNs: Number(res.durationNs) };
  }

  async close(): Promise<void> {
    await this.loader.stop();
  }

  async destroy(): Promise<void> {
    await this.loader.stop();
    // Unpinning the links detaches the programs; unpinning the maps frees them.
    await removePinDir(this.opts.pinDir);
    this.attachedInterfaces = [];
    this.loaded = undefined;
  }
}

export function parseCidr(cidr: string): { addr: string; prefixlen: number } {
  const [ip, len] = cidr.split('/');
  const prefixlen = len === undefined ? 32 : Number(len);
  if (!Number.isInteger(prefixlen) || prefixlen < 0 || prefixlen > 32) throw new Error(`bad CIDR ${cidr}`);
  const bytes = ip.split('.').map(Number);
  if (bytes.length !== 4 || bytes.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) throw new Error(`bad CIDR ${cidr}`);
  const value = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  const mask = prefixlen === 0 ? 0 : (0xffffffff << (32 - prefixlen)) >>> 0;
  const masked = (value & mask) >>> 0;
  return { addr: [masked >>> 24, (masked >>> 16) & 255, (masked >>> 8) & 255, masked & 255].join('.'), prefixlen };
}

export { LoaderError };
