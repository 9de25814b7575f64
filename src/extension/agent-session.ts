/**
 * One live connection to an agent: hello, the flow subscription, and the
 * deploy/probe/teardown calls the commands make. Knows nothing of the UI.
 */
import * as vscode from 'vscode';
import type { AgentHandle } from '../client/agent-process';
import { AgentClient, type DeployOutcome, type LocalDelivery } from '../client/agent-client';
import {
  FlowsPackedNotification, FlowsSubscribe,
  type DatapathBuildResult, type HelloResult, type LabState, type MapsDumpParams, type MapsDumpResult, type ProbeParams, type ProbeResult,
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

export class AgentSession implements vscode.Disposable {
  private readonly closed = new vscode.EventEmitter<void>();
  readonly onDidClose = this.closed.event;

  private constructor(
    readonly target: Target,
    private readonly handle: AgentHandle,
    /** The deploy sequence and the other calls; the session adds the flow subscription and its lifetime. */
    private readonly client: AgentClient,
    readonly hello: HelloResult,
    readonly datapathDir: string,
  ) {
    handle.connection.onClose(() => this.closed.fire());
    void handle.exited.then(() => this.closed.fire());
  }

  static async connect(target: Target, o: SessionOptions): Promise<AgentSession> {
    o.targetLog.info(`starting the agent on ${target.label} for lab ${o.labName} (datapath sources: ${o.datapathDir})`);
    const handle = await target.start(o.labName, {
      datapathDir: o.datapathDir,
      agentLog: (m) => o.agentLog[m.level](m.message),
      targetLog: (m) => o.targetLog[m.level](m.message),
    });
    try {
      const client = new AgentClient(handle.connection, { localDelivery: o.localDelivery, log: (m) => o.agentLog[m.level](m.message) });
      const hello = await client.hello(o.version);
      o.agentLog.info(`agent ${hello.agentVersion} on ${hello.hostname} (kernel ${hello.kernel}); missing: ${hello.capabilities.missing.join(', ') || 'nothing'}`);
      // Typed columns from the agent into the flow ring, no object per flow on the way (flow-packed.ts).
      handle.connection.onNotification(FlowsPackedNotification, (batch) => o.flows.append(batch));
      // Sent on every connect, off too: the agent of a previous session may have left trace-all on.
      await handle.connection.sendRequest(FlowsSubscribe, { traceAll: o.traceAll });
      // A re-adopted datapath keeps its pinned setting, which may not be this workspace's.
      await client.sendLocalDelivery(true);
      return new AgentSession(target, handle, client, hello, o.datapathDir);
    } catch (error) {
      await handle.dispose();
      throw error;
    }
  }

  /** The lab as the agent last reported it (hello, deploy, refresh). */
  get lab(): LabState | undefined { return this.client.lab; }
  /** The last bundle this session deployed. */
  get bundle(): PolicyBundle | undefined { return this.client.bundle; }

  deploy(bundle: PolicyBundle): Promise<DeployOutcome> {
    return this.client.deploy(bundle);
  }

  /** `policyStudio.localDelivery` changed: sent now when a datapath is loaded, else with the next deploy. */
  setLocalDelivery(mode: LocalDelivery): Promise<void> {
    return this.client.setLocalDelivery(mode);
  }

  /** `policyStudio.traceAll` changed: every packet, or new connections and drops only, from now on. */
  setTraceAll(traceAll: boolean): Promise<void> {
    return this.client.setTraceAll(traceAll);
  }

  probe(params: ProbeParams): Promise<ProbeResult> {
    return this.client.probe(params);
  }

  /** Rebuilds (force) and reloads the datapath from the agent's bpf/ sources; the lab must exist. */
  loadDatapath(force: boolean): Promise<DatapathBuildResult> {
    return this.client.loadDatapath(force);
  }

  dumpMaps(params: MapsDumpParams): Promise<MapsDumpResult> {
    return this.client.dumpMaps(params);
  }

  refreshLab(): Promise<LabState | undefined> {
    return this.client.refreshLab();
  }

  teardown(): Promise<void> {
    return this.client.teardown();
  }

  async dispose(): Promise<void> {
    this.closed.dispose();
    await this.handle.dispose();
  }
}
