/**
 * One LogOutputChannel per component (the VS Code convention rust-analyzer
 * follows), so a user chasing a verifier error does not wade through ssh
 * chatter and language-server traces: the extension's own commands, the
 * agent (its log notifications and stderr), the target (connect, bootstrap,
 * ssh/docker, reconnects), the language server (the LanguageClient's output
 * and trace) and the datapath (builds, verifier results). Each has a command
 * that shows it, linked from the health item's tooltip.
 */
import * as vscode from 'vscode';

export type LogComponent = 'extension' | 'agent' | 'target' | 'languageServer' | 'datapath';

interface ComponentInfo { channel: string; command: string; title: string }

/** Channel names and the commands that show them (package.json declares the same commands). */
export const LOG_COMPONENTS: Record<LogComponent, ComponentInfo> = {
  extension: { channel: 'Policy Studio', command: 'policyStudio.showLog', title: 'Extension' },
  agent: { channel: 'Policy Studio: Agent', command: 'policyStudio.showAgentLog', title: 'Agent' },
  target: { channel: 'Policy Studio: Target', command: 'policyStudio.showTargetLog', title: 'Target' },
  languageServer: { channel: 'Policy Studio: Language Server', command: 'policyStudio.showLanguageServerLog', title: 'Language Server' },
  datapath: { channel: 'Policy Studio: Datapath', command: 'policyStudio.showDatapathLog', title: 'Datapath' },
};

export class ComponentLogs implements vscode.Disposable {
  private readonly channels = new Map<LogComponent, vscode.LogOutputChannel>();
  private readonly commands: vscode.Disposable[] = [];

  constructor() {
    for (const [component, info] of Object.entries(LOG_COMPONENTS) as [LogComponent, ComponentInfo][]) {
      const channel = vscode.window.createOutputChannel(info.channel, { log: true });
      this.channels.set(component, channel);
      this.commands.push(vscode.commands.registerCommand(info.command, () => channel.show(true)));
    }
  }

  get extension(): vscode.LogOutputChannel { return this.of('extension'); }
  get agent(): vscode.LogOutputChannel { return this.of('agent'); }
  get target(): vscode.LogOutputChannel { return this.of('target'); }
  get languageServer(): vscode.LogOutputChannel { return this.of('languageServer'); }
  get datapath(): vscode.LogOutputChannel { return this.of('datapath'); }

  of(component: LogComponent): vscode.LogOutputChannel {
    return this.channels.get(component)!;
  }

  dispose(): void {
    for (const d of this.commands.splice(0)) d.dispose();
    for (const c of this.channels.values()) c.dispose();
    this.channels.clear();
  }
}

/** A markdown link (for trusted tooltips) that opens a component's log. */
export function logLink(component: LogComponent, label = `${LOG_COMPONENTS[component].title} log`): string {
  return `[$(output) ${label}](command:${LOG_COMPONENTS[component].command})`;
}
