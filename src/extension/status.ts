/**
 * One health item in the status bar: the target and the lab's state, with a
 * tooltip whose links fix what is wrong. It also sets the context keys the
 * palette and views use (`policyStudio.connected`, `policyStudio.deployed`).
 */
import * as vscode from 'vscode';
import { LOG_COMPONENTS, logLink } from './logs';

export type Health = 'disconnected' | 'connecting' | 'connected' | 'deploying' | 'deployed' | 'error';

const icons: Record<Health, string> = {
  disconnected: '$(circle-outline)',
  connecting: '$(sync~spin)',
  connected: '$(plug)',
  deploying: '$(sync~spin)',
  deployed: '$(shield)',
  error: '$(error)',
};

/** Links that fix a problem, chosen from the error's text. */
export function fixLinks(health: Health, detail = ''): string[] {
  const links: string[] = [];
  if (!vscode.workspace.isTrusted) links.push('[$(workspace-untrusted) Trust this workspace](command:workbench.trust.manage) to deploy');
  if (health === 'error') {
    if (/root|EPERM|permission|sudo/i.test(detail)) links.push('The agent needs root for BPF: run VS Code as root, or [$(remote) pick a dev VM target](command:policyStudio.selectTarget)');
    if (/clang|bpftool|libbpf|missing|not found/i.test(detail)) links.push(`[$(tools) Select a target](command:policyStudio.selectTarget) that has the toolchain, or see the ${logLink('target', 'Target log')}`);
    if (/verifier|datapath rejected/i.test(detail)) links.push(`[$(checklist) Show the verifier log](command:policyStudio.showVerifierLog) · ${logLink('datapath', 'Datapath log')}`);
    if (/datapathPath/.test(detail)) links.push('[$(settings-gear) Fix policyStudio.datapathPath](command:workbench.action.openSettings?%22policyStudio.datapathPath%22)');
    if (/ssh|docker|lima|connect|ECONNREFUSED|host key|timed out/i.test(detail)) links.push(logLink('target', 'What the connection did: Target log'));
    links.push('[$(refresh) Retry: Deploy](command:policyStudio.deploy)');
  }
  if (health === 'disconnected' && /agent exited/i.test(detail)) links.push(logLink('agent', 'Why the agent exited: Agent log'));
  if (health === 'disconnected') links.push('[$(plug) Connect](command:policyStudio.connect) · [$(cloud-upload) Deploy](command:policyStudio.deploy) · [$(remote) Select Target](command:policyStudio.selectTarget)');
  if (health === 'connected') links.push('[$(cloud-upload) Deploy the workspace](command:policyStudio.deploy)');
  if (health === 'deployed') links.push('[$(debug-alt) Probe](command:policyStudio.probe) · [$(question) Explain a Drop](command:policyStudio.explainDrop) · [$(type-hierarchy) Service Map](command:policyStudio.showServiceMap)');
  return links;
}

/** The footer's log links, one per component (logs.ts). */
const LOG_LINKS = (['extension', 'agent', 'target', 'datapath', 'languageServer'] as const)
  .map((c) => logLink(c, LOG_COMPONENTS[c].title)).join(' · ');

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('policyStudio.status', vscode.StatusBarAlignment.Left, 10);
  private readonly changed = new vscode.EventEmitter<Health>();
  /** Fires on every health change: the Lab view and context keys follow it. */
  readonly onDidChange = this.changed.event;
  health: Health = 'disconnected';
  detail?: string;

  constructor(private target: string) {
    this.item.name = 'Policy Studio';
    this.set('disconnected');
    this.item.show();
  }

  set(health: Health, detail?: string): void {
    this.health = health;
    this.detail = detail;
    this.item.text = `${icons[health]} ${this.target}: ${health}`;
    const tip = new vscode.MarkdownString(undefined, true);
    tip.isTrusted = true;
    tip.appendMarkdown(`**Policy Studio** — target \`${this.target}\`: ${health}\n\n`);
    if (detail) tip.appendMarkdown(`${detail}\n\n`);
    for (const link of fixLinks(health, detail)) tip.appendMarkdown(`${link}\n\n`);
    tip.appendMarkdown(`[$(pulse) Flows](command:policyStudio.showFlows) · Logs: ${LOG_LINKS}`);
    this.item.tooltip = tip;
    this.item.command = health === 'deployed' ? 'policyStudio.showFlows' : 'policyStudio.showLog';
    this.item.backgroundColor = health === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    const connected = health === 'connected' || health === 'deploying' || health === 'deployed';
    void vscode.commands.executeCommand('setContext', 'policyStudio.connected', connected);
    void vscode.commands.executeCommand('setContext', 'policyStudio.deployed', health === 'deployed');
    this.changed.fire(health);
  }

  dispose(): void {
    this.changed.dispose();
    this.item.dispose();
  }
}
