/**
 * The maps and verifier-log webviews, the datapath's Problems and the
 * commands that open them, wired to the context in one place so ctx.ts and
 * register.ts each need only one line.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { logDatapathBuilds } from '../datapath/build-log';
import { DatapathProblems } from '../datapath/build-problems';
import { buildDatapath } from '../commands/build-datapath';
import { MapsPanel } from './maps-panel';
import { VerifierPanel } from './verifier-panel';

export function registerDatapathViews(ctx: Ctx): vscode.Disposable[] {
  const builds = ctx.datapathBuilds;
  return [
    builds,
    new DatapathProblems(builds, ctx.extension.extensionUri, ctx.logs.datapath),
    logDatapathBuilds(builds, ctx.logs.datapath),
    vscode.commands.registerCommand('policyStudio.buildDatapath', () => buildDatapath(ctx, builds)),
    vscode.commands.registerCommand('policyStudio.showMaps', () => MapsPanel.show(ctx)),
    vscode.commands.registerCommand('policyStudio.showVerifierLog', () => VerifierPanel.show(ctx, builds)),
    vscode.window.registerWebviewPanelSerializer(MapsPanel.viewType, { deserializeWebviewPanel: async (panel) => MapsPanel.revive(ctx, panel) }),
    vscode.window.registerWebviewPanelSerializer(VerifierPanel.viewType, { deserializeWebviewPanel: async (panel) => VerifierPanel.revive(ctx, builds, panel) }),
  ];
}
