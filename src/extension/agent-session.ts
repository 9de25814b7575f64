/**
 * One live connection to an agent: hello, the flow subscription, and the
 * deploy/probe/teardown calls the commands make. Knows nothing of the UI.
 */
import * as vscode from 'vscode';
import { ErrorCodes, ResponseError } from 'vscode-jsonrpc';
import type { AgentHandle } from '../client/agent-process';
import {
  DatapathLoad, DatapathLocalDelivery, FlowsPackedNotification, MapsDump, FlowsSubscribe, FlowsTraceAll, Hello, LabApply, LabStatus, LabTeardown, PolicyApply, PolicyPatch, Probe,
  AGENT_PROTOCOL_VERSION, AgentErrorCode,
  type DatapathBuildResult, type DatapathLocalDeliveryParams, type HelloResult, type LabApplyParams, type LabState, type MapsDumpParams, type MapsDumpResult, type PolicyApplyResult,
  type PolicyPatchParams, type ProbeParams, type ProbeResult,
} from '../protocol/agent-rpc';
import type { PolicyBundle } from '../protocol/policy-ir';
import type { FlowStore } from './flow-store';
import type { Target } from './targets/target';

export interface SessionOptions {
  labName: string;
  flows: FlowStore;
  version: string;
  /** The bpf/ sources this agent builds; a different setting needs a new session. */
  datapathDir: string;
  /** Every packet as a flow (`policyStudio.traceAll`), or new connections and drops only. */
  traceAll: boolean;
  /** `policyStudio.localDelivery`, sent after each datapath load. */
  localDelivery: LocalDelivery;
  agentLog: vscode.LogOutputChannel;
  targetLog: vscode.LogOutputChannel;
}

export type LocalDelivery = DatapathLocalDeliveryParams['mode'];

export interface DeployOutcome {
  ok: boolean;
  error?: string;
  lab?: LabState;
  datapath?: DatapathBuildResult;
  apply?: PolicyApplyResult;
  /** How the policies went: only the changed ones (policy/patch) or the whole bundle (policy/apply). */
  policyUpdate?: 'patch' | 'apply';
}

export class AgentSession implements vscode.Disposable {
  private readonly closed = new vscode.EventEmitter<void>();
  readonly onDidClose = this.closed.event;
  lab?: LabState;
  bundle?: PolicyBundle;

  private constructor(
    readonly target: Target,
    private readonly handle: AgentHandle,
    readonly hello: HelloResult,
    readonly datapathDir: string,
    private localDelivery: LocalDelivery,
    private readonly agentLog: vscode.LogOutputChannel,
  ) {
    handle.connection.onClose(() => this.closed.fire());
    void handle.exited.then(() => this.closed.fire());
    this.lab = hello.lab;
  }

  static async connect(target: Target, o: SessionOptions): Promise<AgentSession> {
    o.targetLog.info(`starting the agent on ${target.label} for lab ${o.labName} (datapath sources: ${o.datapathDir})`);
    const handle = await target.start(o.labName, {
      datapathDir: o.datapathDir,
      agentLog: (m) => o.agentLog[m.level](m.message),
      targetLog: (m) => o.targetLog[m.level](m.message),
    });
    try {
      const hello = await handle.connection.sendRequest(Hello, { clientVersion: o.version, protocolVersion: AGENT_PROTOCOL_VERSION });
      o.agentLog.info(`agent ${hello.agentVersion} on ${hello.hostname} (kernel ${hello.kernel}); missing: ${hello.capabilities.missing.join(', ') || 'nothing'}`);
      // Typed columns from the agent into the flow ring, no object per flow on the way (flow-packed.ts).
      handle.connection.onNotification(FlowsPackedNotification, (batch) => o.flows.appendPacked(batch));
      // Sent on every connect, off too: the agent of a previous session may have left trace-all on.
      await handle.connection.sendRequest(FlowsSubscribe, { traceAll: o.traceAll, packed: true });
      const session = new AgentSession(target, handle, hello, o.datapathDir, o.localDelivery, o.agentLog);
      // A re-adopted datapath keeps its pinned setting, which may not be this workspace's.
      await session.sendLocalDelivery(true);
      return session;
    } catch (error) {
      await handle.dispose();
      throw error;
    }
  }

  async deploy(bundle: PolicyBundle): Promise<DeployOutcome> {
    const quick = await this.patchOnly(bundle);
    if (quick) return quick;
    const c = this.handle.connection;
    this.lab = await c.sendRequest(LabApply, { workloads: labWorkloads(bundle) });
    const datapath = await c.sendRequest(DatapathLoad, {});
    if (!datapath.ok) {
      this.datapath = undefined;
      return { ok: false, lab: this.lab, datapath, error: `datapath rejected at ${datapath.stage ?? 'build'}` };
    }
    // Set before the policies go: a localDelivery change meanwhile is sent at once.
    this.datapath = datapath;
    await this.sendLocalDelivery();
    const { apply, policyUpdate } = await this.applyPolicies(bundle);
    return { ok: true, lab: this.lab, datapath, apply, policyUpdate };
  }

  /**
   * The usual edit-and-deploy: the workloads are those this session last
   * deployed, so the lab and the loaded datapath stand; only the changed
   * policies go (policy/patch), straight away. Anything unexpected (the lab
   * torn down or re-applied by another client: the agent refuses the patch)
   * leaves it to the full sequence.
   */
  private async patchOnly(bundle: PolicyBundle): Promise<DeployOutcome | undefined> {
    const last = this.deployed;
    if (!last || !this.lab || !this.datapath || JSON.stringify(labWorkloads(last.bundle)) !== JSON.stringify(labWorkloads(bundle))) return undefined;
    const patch = patchFrom(last, bundle);
    if (!patch) return undefined;
    const apply = await this.handle.connection.sendRequest(PolicyPatch, patch).catch(() => undefined);
    if (!apply) return undefined;
    this.remember(bundle, apply);
    return { ok: true, lab: this.lab, datapath: this.datapath, apply, policyUpdate: 'patch' };
  }

  /** The last bundle the agent applied and the generation to patch it from (policy/patch). */
  private deployed?: { bundle: PolicyBundle; baseGeneration: number };
  /** The last successful datapath load of this session (set as soon as it succeeds; a patch-only deploy reports it again). */
  private datapath?: DatapathBuildResult;

  private remember(bundle: PolicyBundle, apply: PolicyApplyResult): void {
    this.bundle = bundle;
    this.deployed = apply.baseGeneration !== undefined ? { bundle, baseGeneration: apply.baseGeneration } : undefined;
  }

  /**
   * When only policies changed since the last deploy, send just those
   * (policy/patch); otherwise, or if the agent refuses the patch (another
   * client applied meanwhile, an older agent), the whole bundle.
   */
  private async applyPolicies(bundle: PolicyBundle): Promise<{ apply: PolicyApplyResult; policyUpdate: 'patch' | 'apply' }> {
    const c = this.handle.connection;
    const patch = this.deployed && patchFrom(this.deployed, bundle);
    const patched = patch ? await c.sendRequest(PolicyPatch, patch).catch(() => undefined) : undefined;
    const apply = patched ?? await c.sendRequest(PolicyApply, { bundle });
    this.remember(bundle, apply);
    return { apply, policyUpdate: patched ? 'patch' : 'apply' };
  }

  /** `policyStudio.localDelivery` changed: sent now when a datapath is loaded, else with the next deploy. */
  async setLocalDelivery(mode: LocalDelivery): Promise<void> {
    this.localDelivery = mode;
    if (this.datapath) await this.sendLocalDelivery();
  }

  /**
   * Sends the setting; never fails the caller (it only changes the way between two workloads, not a
   * verdict). An agent without the method (older) always routes; one without a datapath yet
   * (a connect before the first deploy) gets it with the deploy.
   */
  private async sendLocalDelivery(quietWhenNotReady = false): Promise<void> {
    try {
      await this.handle.connection.sendRequest(DatapathLocalDelivery, { mode: this.localDelivery });
      this.agentLog.info(`local delivery: ${this.localDelivery}`);
    } catch (error) {
      if (error instanceof ResponseError && error.code === ErrorCodes.MethodNotFound) {
        this.agentLog.warn('this agent has no datapath/localDelivery: packets between workloads are routed by the node');
      } else if (!(quietWhenNotReady && error instanceof ResponseError && error.code === AgentErrorCode.NotReady)) {
        this.agentLog.error(`datapath/localDelivery: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  /** `policyStudio.traceAll` changed: every packet, or new connections and drops only, from now on. */
  setTraceAll(traceAll: boolean): Promise<void> {
    return this.handle.connection.sendRequest(FlowsTraceAll, { traceAll });
  }

  probe(params: ProbeParams): Promise<ProbeResult> {
    return this.handle.connection.sendRequest(Probe, params);
  }

  /** Rebuilds (force) and reloads the datapath from the agent's bpf/ sources; the lab must exist. */
  async loadDatapath(force: boolean): Promise<DatapathBuildResult> {
    const result = await this.handle.connection.sendRequest(DatapathLoad, { force });
    if (result.ok) {
      this.datapath = result;
      await this.sendLocalDelivery();
    }
    return result;
  }

  dumpMaps(params: MapsDumpParams): Promise<MapsDumpResult> {
    return this.handle.connection.sendRequest(MapsDump, params);
  }

  async refreshLab(): Promise<LabState | undefined> {
    this.lab = (await this.handle.connection.sendRequest(LabStatus)) ?? undefined;
    return this.lab;
  }

  async teardown(): Promise<void> {
    await this.handle.connection.sendRequest(LabTeardown);
    this.lab = undefined;
    this.deployed = undefined;
    this.datapath = undefined;
  }

  async dispose(): Promise<void> {
    this.closed.dispose();
    await this.handle.dispose();
  }
}

function labWorkloads(bundle: PolicyBundle): LabApplyParams['workloads'] {
  return bundle.workloads.map((w) => ({ name: w.name, namespace: w.namespace, labels: w.labels, replicas: w.replicas }));
}

/**
 * policy/patch params that turn the deployed bundle into `bundle`, when only
 * policies changed and the agent's way of patching (replaced policies keep
 * their place, new ones are appended) gives this bundle's order.
 */
function patchFrom(last: { bundle: PolicyBundle; baseGeneration: number }, bundle: PolicyBundle): PolicyPatchParams | undefined {
  // The agent acts on the policies only (lab/apply takes the workloads); expects and source ranges
  // elsewhere in the bundle may differ, e.g. lines moved by the edit.
  if (last.bundle.version !== bundle.version || JSON.stringify(labWorkloads(last.bundle)) !== JSON.stringify(labWorkloads(bundle))) return undefined;
  const before = new Map(last.bundle.policies.map((p) => [p.id, JSON.stringify(p)]));
  const ids = bundle.policies.map((p) => p.id);
  const now = new Set(ids);
  const kept = last.bundle.policies.map((p) => p.id).filter((id) => now.has(id));
  if ([...kept, ...ids.filter((id) => !before.has(id))].join('\0') !== ids.join('\0')) return undefined;
  const upsert = bundle.policies.filter((p) => before.get(p.id) !== JSON.stringify(p));
  const remove = [...before.keys()].filter((id) => !now.has(id));
  return { baseGeneration: last.baseGeneration, upsert, remove };
}
