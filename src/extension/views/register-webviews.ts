/**
 * The maps and verifier-log webviews' serializers, the datapath's Problems
 * and its build log, wired to the context in one place (their commands are
 * in commands/register.ts).
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { logDatapathBuilds } from '../datapath/build-log';
import { DatapathProblems } from '../datapath/build-problems';
import { MapsPanel } from './maps-panel';
import { VerifierPanel } from './verifier-panel';

export function registerDatapathViews(ctx: Ctx): vscode.Disposable[] {
  const builds = ctx.datapathBuilds;
  return [
    builds,
    new DatapathProblems(builds, ctx.extension.extensionUri, ctx.logs.datapath),
    logDatapathBuilds(builds, ctx.logs.datapath),
    vscode.window.registerWebviewPanelSerializer(MapsPanel.viewType, { deserializeWebviewPanel: async (panel) => MapsPanel.revive(ctx, panel) }),
    vscode.window.registerWebviewPanelSerializer(VerifierPanel.viewType, { deserializeWebviewPanel: async (panel) => VerifierPanel.revive(ctx, builds, panel) }),
  ];
}
