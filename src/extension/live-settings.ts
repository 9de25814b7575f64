/**
 * The settings that change a live session without a reload:
 * `policyStudio.traceAll` is sent to the agent at once (flows/traceAll),
 * `policyStudio.localDelivery` too (datapath/localDelivery, or with the next
 * deploy when no datapath is loaded yet), and
 * a new `policyStudio.datapathPath` restarts the agent on the new sources
 * (the pinned datapath keeps enforcing meanwhile and is re-adopted), so the
 * next Build Datapath or Deploy builds that copy. Both are restricted
 * settings: in an untrusted workspace VS Code ignores the workspace's values.
 */
import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import type { LocalDelivery } from '../client/agent-client';
import { configuredDatapathDir } from './datapath/datapath-dir';

export function watchLiveSettings(ctx: Ctx): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration('policyStudio.traceAll')) void applyTraceAll(ctx);
    if (e.affectsConfiguration('policyStudio.localDelivery')) void applyLocalDelivery(ctx);
    if (e.affectsConfiguration('policyStudio.datapathPath')) void switchDatapathDir(ctx);
  });
}

async function applyTraceAll(ctx: Ctx): Promise<void> {
  const traceAll = vscode.workspace.getConfiguration('policyStudio').get<boolean>('traceAll', false);
  const session = ctx.session;
  if (!session) return; // applied when the next session connects
  try {
    await session.setTraceAll(traceAll);
    ctx.logs.agent.info(`trace-all ${traceAll ? 'on: every packet is a flow' : 'off: new connections and drops only'}`);
  } catch (error) {
    ctx.logs.agent.error(`flows/traceAll: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** `policyStudio.localDelivery`: "direct" (the default) unless set to "routed". */
export function configuredLocalDelivery(): LocalDelivery {
  return vscode.workspace.getConfiguration('policyStudio').get<string>('localDelivery', 'direct') === 'routed' ? 'routed' : 'direct';
}

/** Never throws: the session logs what the agent answered. */
async function applyLocalDelivery(ctx: Ctx): Promise<void> {
  await ctx.session?.setLocalDelivery(configuredLocalDelivery());
}

async function switchDatapathDir(ctx: Ctx): Promise<void> {
  let dir: string;
  try {
    dir = configuredDatapathDir(ctx.extension.extensionPath);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    ctx.logs.datapath.error(message);
    void vscode.window.showErrorMessage(`Policy Studio: ${message}`, 'Open Settings')
      .then((c) => c && vscode.commands.executeCommand('workbench.action.openSettings', 'policyStudio.datapathPath'));
    return;
  }
  const session = ctx.session;
  if (!session || session.datapathDir === dir) return;
  ctx.logs.datapath.info(`datapath sources are now ${dir}: restarting the agent (the loaded datapath keeps enforcing)`);
  try {
    await ctx.restartSession();
  } catch {
    return; // ensureSession put the reason in the status item and the Target log
  }
  void vscode.window.showInformationMessage(`Policy Studio: the datapath now builds from ${vscode.workspace.asRelativePath(dir)}.`, 'Build Datapath')
    .then((c) => c && vscode.commands.executeCommand('policyStudio.buildDatapath'));
}
