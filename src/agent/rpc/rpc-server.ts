/**
 * JSON-RPC 2.0 methods of src/protocol/agent-rpc.ts on a vscode-jsonrpc
 * connection. Each handler validates its params (validate.ts), runs its
 * operation when the scheduler lets it (operation-scheduler.ts: changes never
 * interleave; probes run beside policy changes but never beside a lab
 * change), and turns every failure into a JSON-RPC error: a bad request never
 * takes the agent down.
 */
import { ErrorCodes, ResponseError, type MessageConnection } from 'vscode-jsonrpc';
import {
  AgentErrorCode, DatapathCounters, DatapathLocalDelivery, DatapathLoad, ExitNotification, FlowsSubscribe, FlowsTraceAll, FlowsUnsubscribe, Hello, LabApply,
  LabStatus, LabTeardown, MapsDump, PolicyApply, PolicyPatch, Probe, Shutdown,
} from '../../protocol/agent-rpc';
import { CommandError } from '../host/exec';
import type { Log } from '../log';
import type { NodeAgent } from '../node-agent';
import { OperationScheduler, type OperationKind } from './operation-scheduler';
import {
  validateDatapathLoad, validateDatapathLocalDelivery, validateFlowsSubscribe, validateFlowsTraceAll, validateHello, validateLabApply, validateMapsDump,
  validatePolicyApply, validatePolicyPatch, validateProbe,
} from './validate';

export function serveAgent(connection: MessageConnection, agent: NodeAgent, log: Log, exit: () => void): void {
  const scheduler = new OperationScheduler();
  // Re-adopting a pinned datapath goes first; requests that need it wait behind it.
  void scheduler.run('lab', () => agent.resume());

  /** Every handler goes through here: errors become JSON-RPC errors with a message a person can act on. */
  const handle = <R>(method: string, fn: (params: unknown) => Promise<R>, kind: OperationKind | 'immediate' = 'change') =>
    async (params: unknown): Promise<R | ResponseError<void>> => {
      try {
        return await (kind === 'immediate' ? fn(params) : scheduler.run(kind, () => fn(params)));
      } catch (e) {
        return toResponseError(method, e, log);
      }
    };

  connection.onRequest(Hello, handle('agent/hello', async (p) => {
    validateHello(p);
    return agent.hello();
  }, 'immediate'));
  connection.onRequest(LabStatus, handle('lab/status', async () => agent.status(), 'immediate'));
  connection.onRequest(LabApply, handle('lab/apply', async (p) => agent.applyLab(validateLabApply(p)), 'lab'));
  connection.onRequest(LabTeardown, handle('lab/teardown', async () => agent.teardown(), 'lab'));
  connection.onRequest(DatapathLoad, handle('datapath/load', async (p) => agent.loadDatapath(validateDatapathLoad(p).force === true), 'lab'));
  connection.onRequest(PolicyApply, handle('policy/apply', async (p) => agent.applyPolicy(validatePolicyApply(p).bundle)));
  connection.onRequest(PolicyPatch, handle('policy/patch', async (p) => agent.patchPolicy(validatePolicyPatch(p))));
  connection.onRequest(Probe, handle('lab/probe', async (p) => agent.probe(validateProbe(p)), 'probe'));
  connection.onRequest(FlowsSubscribe, handle('flows/subscribe', async (p) => agent.subscribeFlows(validateFlowsSubscribe(p).traceAll === true)));
  connection.onRequest(FlowsUnsubscribe, handle('flows/unsubscribe', async () => agent.unsubscribeFlows()));
  connection.onRequest(FlowsTraceAll, handle('flows/traceAll', async (p) => agent.setTraceAll(validateFlowsTraceAll(p).traceAll)));
  connection.onRequest(DatapathLocalDelivery, handle('datapath/localDelivery', async (p) => agent.setLocalDelivery(validateDatapathLocalDelivery(p).mode)));
  connection.onRequest(DatapathCounters, handle('datapath/counters', async () => agent.counters()));
  connection.onRequest(MapsDump, handle('maps/dump', async (p) => agent.dumpMaps(validateMapsDump(p))));
  connection.onRequest(Shutdown, handle('agent/shutdown', async () => {
    // Reply first, then leave: the client is waiting for the answer.
    setTimeout(() => {
      connection.sendNotification(ExitNotification).catch(() => undefined).finally(exit);
    }, 10);
  }, 'immediate'));
}

/**
 * The protocol types errors as carrying no data (`void`); DatapathRejected is the
 * one that does (a DatapathBuildResult), and it passes through unchanged.
 */
export function toResponseError(method: string, e: unknown, log: Log): ResponseError<void> {
  if (e instanceof ResponseError) {
    log(e.code === AgentErrorCode.BadRequest ? 'warn' : 'error', `${method}: ${e.message}`);
    return e as ResponseError<void>;
  }
  if (e instanceof CommandError) {
    log('error', `${method}: ${e.message}`);
    return new ResponseError(e.notFound ? AgentErrorCode.MissingDependency : ErrorCodes.InternalError, `${method}: ${e.message}`);
  }
  const err = e instanceof Error ? e : new Error(String(e));
  log('error', `${method}: ${err.stack ?? err.message}`);
  return new ResponseError(ErrorCodes.InternalError, `${method}: ${err.message}`);
}
