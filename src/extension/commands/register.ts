import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { deploy } from './deploy';
import { probe } from './probe';
import { teardown } from './teardown';
import { FlowsPanel } from '../views/flows-panel';

export function registerCommands(ctx: Ctx): void {
  ctx.push(
    vscode.commands.registerCommand('policyStudio.deploy', () => deploy(ctx)),
    vscode.commands.registerCommand('policyStudio.probe', (params?: unknown) => probe(ctx, params)),
    vscode.commands.registerCommand('policyStudio.showFlows', (args?: { filter?: string }) => FlowsPanel.show(ctx, typeof args?.filter === 'string' ? args.filter : undefined)),
    vscode.commands.registerCommand('policyStudio.teardown', () => teardown(ctx)),
  );
}

/** Error text for a notification: JSON-RPC errors carry the agent's message. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
