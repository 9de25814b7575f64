/**
 * The agent's calls as a client makes them, without VS Code: hello, the
 * deploy sequence (lab/apply, datapath/load, datapath/localDelivery, then
 * policy/patch or policy/apply with the fallback), probes and teardown. The
 * extension's AgentSession and the CLI's `test --live` both deploy through it,
 * so the two cannot drift apart.
 */
import { ErrorCodes, ResponseError, type MessageConnection } from 'vscode-jsonrpc';
import {
  AGENT_PROTOCOL_VERSION, AgentErrorCode, DatapathLoad, DatapathLocalDelivery, FlowsTraceAll, Hello, LabApply, LabStatus, LabTeardown, MapsDump,
  PolicyApply, PolicyPatch, Probe,
  type AgentLogMessage, type DatapathBuildResult, type DatapathLocalDeliveryParams, type HelloResult, type LabState, type MapsDumpParams,
  type MapsDumpResult, type PolicyApplyResult, type ProbeParams, type ProbeResult,
} from '../protocol/agent-rpc';
import type { PolicyBundle } from '../protocol/policy-ir';
import { labWorkloads, patchFrom, type DeployedBundle } from './policy-patch';

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

export interface AgentClientOptions {
  /** Sent after every datapath load; absent: the agent keeps its own setting (a fresh lab routes). */
  localDelivery?: LocalDelivery;
  log?: (message: AgentLogMessage) => void;
}

export class AgentClient {
  lab?: LabState;
  /** The last bundle this client deployed. */
  bundle?: PolicyBundle;
  /** The last bundle the agent applied and the generation to patch it from (policy/patch). */
  private deployed?: DeployedBundle;
  /** The last successful datapath load (set as soon as it succeeds; a patch-only deploy reports it again). */
  private datapath?: DatapathBuildResult;
  private localDelivery?: LocalDelivery;
  private readonly log: (message: AgentLogMessage) => void;

  constructor(readonly connection: MessageConnection, options: AgentClientOptions = {}) {
    this.localDelivery = options.localDelivery;
    this.log = options.log ?? (() => undefined);
  }

  async hello(clientVersion: string): Promise<HelloResult> {
    const hello = await this.connection.sendRequest(Hello, { clientVersion, protocolVersion: AGENT_PROTOCOL_VERSION });
    this.lab = hello.lab;
    return hello;
  }

  async deploy(bundle: PolicyBundle): Promise<DeployOutcome> {
    const quick = await this.patchOnly(bundle);
    if (quick) return quick;
    this.lab = await this.connection.sendRequest(LabApply, { workloads: labWorkloads(bundle) });
    const datapath = await this.connection.sendRequest(DatapathLoad, {});
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
   * The usual edit-and-deploy: the workloads are those this client last
   * deployed, so the lab and the loaded datapath stand; only the changed
   * policies go (policy/patch), straight away. Anything unexpected (the lab
   * torn down or re-applied by another client: the agent refuses the patch)
   * leaves it to the full sequence.
   */
  private async patchOnly(bundle: PolicyBundle): Promise<DeployOutcome | undefined> {
    const last = this.deployed;
    if (!last || !this.lab || !this.datapath) return undefined;
    const patch = patchFrom(last, bundle);
    if (!patch) return undefined;
    const apply = await this.connection.sendRequest(PolicyPatch, patch).catch((e: Error) => this.refused(e));
    if (!apply) return undefined;
    this.remember(bundle, apply);
    return { ok: true, lab: this.lab, datapath: this.datapath, apply, policyUpdate: 'patch' };
  }

  /**
   * When only policies changed since the last deploy, send just those
   * (policy/patch); otherwise, or if the agent refuses the patch (another
   * client applied meanwhile, an older agent), the whole bundle.
   */
  private async applyPolicies(bundle: PolicyBundle): Promise<{ apply: PolicyApplyResult; policyUpdate: 'patch' | 'apply' }> {
    const patch = this.deployed && patchFrom(this.deployed, bundle);
    const patched = patch ? await this.connection.sendRequest(PolicyPatch, patch).catch((e: Error) => this.refused(e)) : undefined;
    const apply = patched ?? await this.connection.sendRequest(PolicyApply, { bundle });
    this.remember(bundle, apply);
    return { apply, policyUpdate: patched ? 'patch' : 'apply' };
  }

  /** A refused patch is not tried again: the agent no longer holds the bundle it was made against. */
  private refused(error: Error): undefined {
    this.log({ level: 'debug', message: `policy/patch refused (${error.message}): the whole bundle goes` });
    this.deployed = undefined;
    return undefined;
  }

  private remember(bundle: PolicyBundle, apply: PolicyApplyResult): void {
    this.bundle = bundle;
    this.deployed = apply.baseGeneration !== undefined ? { bundle, baseGeneration: apply.baseGeneration } : undefined;
  }

  /** A new local delivery mode: sent now when a datapath is loaded, else with the next deploy. */
  async setLocalDelivery(mode: LocalDelivery): Promise<void> {
    this.localDelivery = mode;
    if (this.datapath) await this.sendLocalDelivery();
  }

  /**
   * Sends the setting; never fails the caller (it only changes the way between two workloads, not a
   * verdict). An agent without the method (older) always routes; one without a datapath yet
   * (a connect before the first deploy) gets it with the deploy.
   */
  async sendLocalDelivery(quietWhenNotReady = false): Promise<void> {
    const mode = this.localDelivery;
    if (!mode) return;
    try {
      await this.connection.sendRequest(DatapathLocalDelivery, { mode });
      this.log({ level: 'info', message: `local delivery: ${mode}` });
    } catch (error) {
      if (error instanceof ResponseError && error.code === ErrorCodes.MethodNotFound) {
        this.log({ level: 'warn', message: 'this agent has no datapath/localDelivery: packets between workloads are routed by the node' });
      } else if (!(quietWhenNotReady && error instanceof ResponseError && error.code === AgentErrorCode.NotReady)) {
        this.log({ level: 'error', message: `datapath/localDelivery: ${error instanceof Error ? error.message : String(error)}` });
      }
    }
  }

  /** Every packet as a flow, or new connections and drops only, from now on. */
  setTraceAll(traceAll: boolean): Promise<void> {
    return this.connection.sendRequest(FlowsTraceAll, { traceAll });
  }

  probe(params: ProbeParams): Promise<ProbeResult> {
    return this.connection.sendRequest(Probe, params);
  }

  /** Rebuilds (force) and reloads the datapath from the agent's bpf/ sources; the lab must exist. */
  async loadDatapath(force: boolean): Promise<DatapathBuildResult> {
    const result = await this.connection.sendRequest(DatapathLoad, { force });
    if (result.ok) {
      this.datapath = result;
      await this.sendLocalDelivery();
    }
    return result;
  }

  dumpMaps(params: MapsDumpParams): Promise<MapsDumpResult> {
    return this.connection.sendRequest(MapsDump, params);
  }

  async refreshLab(): Promise<LabState | undefined> {
    this.lab = (await this.connection.sendRequest(LabStatus)) ?? undefined;
    return this.lab;
  }

  async teardown(): Promise<void> {
    await this.connection.sendRequest(LabTeardown);
    this.lab = undefined;
    this.deployed = undefined;
    this.datapath = undefined;
  }
}
