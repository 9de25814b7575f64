/**
 * Deploy: compile the workspace in the language server, then have the agent
 * build the lab, load the datapath and program the policy.
 */
import * as vscode from 'vscode';
import type { DeployOutcome } from '../../client/agent-client';
import type { Ctx } from '../ctx';
import { CompileWorkspace } from '../../protocol/language-rpc';
import { messageOf } from './message-of';
import { requireTrust } from './require-trust';
import { editorFeatures } from '../editor/features';

export async function deploy(ctx: Ctx): Promise<DeployOutcome> {
  if (!requireTrust('Deploy')) return { ok: false, error: 'the workspace is not trusted' };
  if (!ctx.client) return fail(ctx, 'the language server is not running');
  await vscode.workspace.saveAll(false);
  const compiled = await ctx.client.sendRequest(CompileWorkspace, {});
  // A failing expect is a test result to watch on real packets, not a reason to refuse the deploy.
  const errors = compiled.problems.filter((p) => p.severity === 'error' && p.code !== 'expect-fails');
  if (errors.length) {
    const first = errors[0];
    const where = `${vscode.workspace.asRelativePath(vscode.Uri.parse(first.source.uri))}:${first.source.range.start.line + 1}`;
    void vscode.window.showErrorMessage(`Not deployed: ${errors.length} error(s) in the policy. ${where}: ${first.message}`, 'Show Problems')
      .then((choice) => choice && vscode.commands.executeCommand('workbench.actions.view.problems'));
    return { ok: false, error: `${errors.length} policy error(s)` };
  }
  const { bundle } = compiled;
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Policy Studio: deploying to ${ctx.target.label}` },
    async (progress) => {
      try {
        progress.report({ message: 'starting the agent' });
        const session = await ctx.ensureSession();
        ctx.status.set('deploying');
        progress.report({ message: 'building the lab, loading the datapath, programming policy' });
        const outcome = await session.deploy(bundle);
        ctx.datapathBuilds.publish(outcome.datapath);
        if (!outcome.ok) {
          ctx.log.error(`datapath rejected:\n${outcome.datapath?.verifierLog ?? ''}`);
          for (const d of outcome.datapath?.diagnostics ?? []) ctx.log.error(`${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`);
          ctx.status.set('error', outcome.error);
          void vscode.window.showErrorMessage(`Policy Studio: ${outcome.error}. The previous datapath keeps enforcing.`, 'Show Log')
            .then((c) => c && ctx.log.show());
          return outcome;
        }
        const endpoints = outcome.lab?.endpoints.length ?? 0;
        const how = outcome.policyUpdate === 'patch' ? 'changed policies patched' : 'whole bundle applied';
        const detail = `${bundle.policies.length} policies on ${endpoints} endpoints (${how}); ${outcome.apply?.entriesWritten ?? 0} map entries written`;
        ctx.log.info(`deployed: ${detail}`);
        for (const p of outcome.datapath?.programs ?? []) ctx.log.info(`verifier: ${p.program}: ${p.insnsProcessed ?? '?'} insns processed`);
        ctx.status.set('deployed', detail);
        editorFeatures(ctx)?.deployed(outcome);
        void vscode.window.showInformationMessage(`Deployed ${bundle.policies.length} policies to the ${ctx.target.label} lab (${endpoints} endpoints).`);
        return outcome;
      } catch (error) {
        return fail(ctx, messageOf(error));
      }
    },
  );
}

function fail(ctx: Ctx, error: string): DeployOutcome {
  ctx.log.error(`deploy failed: ${error}`);
  ctx.status.set('error', error);
  void vscode.window.showErrorMessage(`Policy Studio: deploy failed: ${error}`, 'Show Log').then((c) => c && ctx.log.show());
  return { ok: false, error };
}
