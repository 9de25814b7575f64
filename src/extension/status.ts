/**
 * One health item in the status bar: the target and the lab's state, with a
 * tooltip whose links fix what is wrong.
 */
import * as vscode from 'vscode';

export type Health = 'disconnected' | 'connecting' | 'connected' | 'deploying' | 'deployed' | 'error';

const icons: Record<Health, string> = {
  disconnected: '$(circle-outline)',
  connecting: '$(sync~spin)',
  connected: '$(plug)',
  deploying: '$(sync~spin)',
  deployed: '$(shield)',
  error: '$(error)',
};

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('policyStudio.status', vscode.StatusBarAlignment.Left, 10);
  health: Health = 'disconnected';

  constructor(private target: string) {
    this.item.name = 'Policy Studio';
    this.set('disconnected');
    this.item.show();
  }

  set(health: Health, detail?: string): void {
    this.health = health;
    this.item.text = `${icons[health]} ${this.target}: ${health}`;
    const tip = new vscode.MarkdownString(undefined, true);
    tip.isTrusted = true;
    tip.appendMarkdown(`**Policy Studio** — target \`${this.target}\`: ${health}\n\n`);
    if (detail) tip.appendMarkdown(`${detail}\n\n`);
    if (health === 'error' || health === 'disconnected') tip.appendMarkdown('[$(cloud-upload) Deploy](command:policyStudio.deploy) · ');
    tip.appendMarkdown('[$(pulse) Flows](command:policyStudio.showFlows) · [$(output) Log](command:policyStudio.showLog)');
    this.item.tooltip = tip;
    this.item.command = health === 'deployed' ? 'policyStudio.showFlows' : 'policyStudio.showLog';
    this.item.backgroundColor = health === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
