/**
 * Build Datapath: compile bpf/ and load it through the verifier now (the
 * agent's `datapath/load` with force), for a user editing the C. Clang errors
 * and the verifier's rejection land in Problems on the C line and in the
 * verifier-log view, which opens beside the editor. Without a lab yet, it
 * deploys (lab, datapath, policy) since the datapath attaches to the lab.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { DatapathBuilds } from '../datapath/builds';
import type { DatapathBuildResult } from '../../protocol/agent-rpc';
import { VerifierPanel } from '../views/verifier-panel';
import { deploy } from './deploy';
import { messageOf } from './message-of';

export async function buildDatapath(ctx: Ctx, builds: DatapathBuilds): Promise<DatapathBuildResult | undefined> {
  await vscode.workspace.saveAll(false);
  let result: DatapathBuildResult | undefined;
  try {
    const session = await ctx.ensureSession();
    if (!session.lab?.endpoints.length) {
      ctx.logs.datapath.info('build datapath: no lab yet, deploying first');
      result = (await deploy(ctx)).datapath;
    } else {
      result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Policy Studio: building and loading the datapath' },
        () => session.loadDatapath(true),
      );
    }
  } catch (error) {
    ctx.logs.datapath.error(`build datapath: ${messageOf(error)}`);
    void vscode.window.showErrorMessage(`Policy Studio: could not build the datapath: ${messageOf(error)}`, 'Show Log').then((c) => c && ctx.logs.datapath.show());
    return undefined;
  }
  if (!result) return undefined;
  builds.publish(result);
  VerifierPanel.show(ctx, builds, true);
  if (result.ok) {
    const insns = result.programs.reduce((n, p) => n + (p.insnsProcessed ?? 0), 0);
    void vscode.window.showInformationMessage(`Datapath loaded: ${result.programs.length} programs verified (${insns.toLocaleString()} instructions processed).`);
  } else {
    const first = result.diagnostics.find((d) => d.severity === 'error');
    const where = first ? `${first.file.split('/').pop()}:${first.line}: ${first.message}` : `${result.stage ?? 'build'} failed`;
    void vscode.window.showErrorMessage(`Datapath rejected (${result.stage ?? 'build'}): ${where}. The previous datapath keeps enforcing.`, 'Show Problems', 'Show Datapath Log')
      .then((c) => c === 'Show Problems' ? vscode.commands.executeCommand('workbench.actions.view.problems') : c && ctx.logs.datapath.show());
  }
  return result;
}
