/**
 * What the extension does around a target's sessions: bootstrap on first
 * connect, reconnect with backoff when a remote agent's connection drops, and
 * the target commands (select target, remove the Docker dev container).
 * Ctx calls `connected` and `closed`; everything else lives here.
 */
import * as vscode from 'vscode';
import type { AgentSession } from '../agent-session';
import type { Ctx } from '../ctx';
import { offerBootstrap } from './bootstrap';
import { ConfiguredTarget, createTarget } from './configured-target';
import { DockerTarget } from './docker-target';
import { SessionReconnector } from './session-reconnect';
import type { TargetKind } from './target';

export class TargetLifecycle implements vscode.Disposable {
  private readonly reconnector: SessionReconnector;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly ctx: Ctx) {
    this.reconnector = new SessionReconnector(
      () => ctx.ensureSession(),
      (attempt, error, delayMs) => {
        ctx.logs.target.warn(`reconnect attempt ${attempt} to ${ctx.target.label} failed: ${error instanceof Error ? error.message : String(error)}; next in ${delayMs} ms`);
        ctx.status.set('connecting', `Reconnecting to ${ctx.target.label} (attempt ${attempt + 1}); the datapath keeps enforcing from its pins.`);
      },
      (error) => ctx.status.set('error', `Gave up reconnecting: ${error instanceof Error ? error.message : String(error)}`),
    );
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('policyStudio.target') && ctx.session) {
          void vscode.window.showInformationMessage(`Policy Studio: the target is now ${ctx.target.label}; it applies to the next connection.`, 'Reload Window')
            .then((c) => c && vscode.commands.executeCommand('workbench.action.reloadWindow'));
        }
      }),
    );
  }

  /** A session just connected (first time or after a reconnect). */
  connected(session: AgentSession): void {
    if (session.hello.datapath?.loaded) this.ctx.status.set('deployed', `Agent ${session.hello.agentVersion} on ${this.ctx.target.label}; the pinned datapath was re-adopted.`);
    void offerBootstrap(this.ctx.target, session.hello, this.ctx.logs.target, this.ctx.version).catch((e: Error) => this.ctx.logs.target.error(`bootstrap: ${e.message}`));
  }

  /** The agent's connection closed without us closing it. */
  closed(): void {
    if (this.ctx.target.kind === 'local') return; // the local agent only exits when it crashed or was ended: the next command restarts it
    this.ctx.logs.target.warn(`connection to ${this.ctx.target.label} lost; reconnecting with backoff`);
    this.reconnector.schedule();
  }

  /** `policyStudio.selectTarget`. */
  async selectTarget(): Promise<void> {
    const items: { label: string; target: TargetKind; detail: string }[] = [
      { label: 'Local', target: 'local', detail: 'This Linux host, as root' },
      { label: 'SSH', target: 'ssh', detail: 'A dev VM over SSH (policyStudio.ssh.*, ~/.ssh/config)' },
      { label: 'Lima', target: 'lima', detail: 'A Lima VM found with limactl' },
      { label: 'Docker', target: 'docker', detail: 'A privileged dev container on the local Docker engine' },
    ];
    const picked = await vscode.window.showQuickPick(items, { title: 'Policy Studio: where the agent runs' });
    if (!picked) return;
    await vscode.workspace.getConfiguration('policyStudio').update('target', picked.target, vscode.ConfigurationTarget.Workspace);
  }

  /** `policyStudio.removeDevContainer`. */
  async removeDevContainer(): Promise<void> {
    const target = this.ctx.target instanceof ConfiguredTarget ? this.ctx.target.current() : undefined;
    const docker = target instanceof DockerTarget ? target : (createTarget('docker', this.ctx.extension) as DockerTarget);
    if (this.ctx.target.kind === 'docker' && this.ctx.session) {
      const session = this.ctx.session;
      this.ctx.session = undefined;
      await session.dispose();
      this.ctx.status.set('disconnected', 'The dev container was removed.');
    }
    const removed = await docker.removeContainer();
    void vscode.window.showInformationMessage(removed ? 'Policy Studio: dev container removed (its lab went with it).' : 'Policy Studio: there is no dev container.');
  }

  dispose(): void {
    this.reconnector.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
