/**
 * Guards for commands that act on a target: an untrusted workspace cannot
 * deploy or run anything there (untrustedWorkspaces: limited), and a command
 * that needs an agent explains and offers to connect when there is none.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { AgentSession } from '../agent-session';

export function requireTrust(what: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(
    `Policy Studio: ${what} runs commands on a target as root, so it is disabled in Restricted Mode. Trust this workspace to enable it.`,
    'Manage Workspace Trust',
  ).then((c) => c && vscode.commands.executeCommand('workbench.trust.manage'));
  return false;
}

/** The live session; when there is none, say why it is needed and offer to connect (or pick a target). */
export async function requireSession(ctx: Ctx, what: string): Promise<AgentSession | undefined> {
  if (ctx.session) return ctx.session;
  // Connecting already (a restart after a settings change, a reconnect): wait for it rather than ask.
  const pending = ctx.pendingSession;
  if (pending) return pending;
  const choice = await vscode.window.showWarningMessage(
    `Policy Studio: ${what} needs the agent on the target (${ctx.target.label}), and none is connected.`,
    'Connect', 'Select Target',
  );
  if (choice === 'Select Target') {
    await vscode.commands.executeCommand('policyStudio.selectTarget');
    return undefined;
  }
  if (choice !== 'Connect') return undefined;
  return ctx.ensureSession();
}
