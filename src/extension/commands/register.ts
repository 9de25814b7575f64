/**
 * Every command of the extension, registered in one place: the palette's
 * list (package.json `contributes.commands`) and this file name the same set
 * (the log channels' Show commands are made with their channels, logs.ts).
 * Handlers are one line each; the work is in the command's own file or in
 * the feature it drives.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { EditorFeatures } from '../editor/features';
import type { LabNode } from '../views/lab-tree';
import { FlowsPanel } from '../views/flows-panel';
import { MapsPanel } from '../views/maps-panel';
import { revealSource } from '../views/reveal';
import { ServiceMapPanel } from '../views/service-map-panel';
import { VerifierPanel } from '../views/verifier-panel';
import { buildDatapath } from './build-datapath';
import { deploy } from './deploy';
import { explainDropCommand } from './explain-drop';
import { probe } from './probe';
import { teardown } from './teardown';

export function registerCommands(ctx: Ctx, features: EditorFeatures): void {
  const command = (id: string, handler: (...args: never[]) => unknown): vscode.Disposable => vscode.commands.registerCommand(`policyStudio.${id}`, handler);
  ctx.push(
    // Deploy and the lab
    command('connect', () => features.connect()),
    command('deploy', () => deploy(ctx)),
    command('probe', (params?: unknown) => probe(ctx, params)),
    command('teardown', () => teardown(ctx)),
    command('selectTarget', () => ctx.targets.selectTarget()),
    command('removeDevContainer', () => ctx.targets.removeDevContainer()),
    command('lab.refresh', () => features.refreshLab()),
    command('lab.probeFrom', (node?: LabNode) =>
      vscode.commands.executeCommand('policyStudio.probe', node?.kind === 'workload' ? { from: node.workload } : undefined)),
    command('lab.showFlowsOf', (node?: LabNode) =>
      vscode.commands.executeCommand('policyStudio.showFlows', node?.kind === 'workload' ? { filter: `pod:${node.workload}` } : undefined)),
    command('lab.openPolicy', async (node?: LabNode) => { if (node?.kind === 'policy') await revealSource(node.policy.source); }),
    // Views
    command('showFlows', (args?: { filter?: string }) => FlowsPanel.show(ctx, typeof args?.filter === 'string' ? args.filter : undefined)),
    command('explainDrop', (flow?: unknown) => explainDropCommand(ctx, features.bundle, flow)),
    command('showServiceMap', () => ServiceMapPanel.show(ctx)),
    command('showMaps', () => MapsPanel.show(ctx)),
    command('showVerifierLog', () => VerifierPanel.show(ctx, ctx.datapathBuilds)),
    // The datapath
    command('buildDatapath', () => buildDatapath(ctx, ctx.datapathBuilds)),
  );
}
