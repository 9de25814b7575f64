/**
 * The verifier-log webview: the last datapath build, structured per program
 * (instructions processed, states, stack depth, verification time), the
 * compiler and verifier errors, and the log itself with the failing
 * instruction highlighted and every `; source @ file.c:NN` line linked to the C.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { DatapathBuilds } from '../datapath/builds';
import { bpfSourceDirs, resolveBpfFile, sourceLinks } from '../datapath/sources';
import type { VerifierFromWebview, VerifierToWebview } from '../../protocol/webview-messages';
import { webviewHtml, webviewOptions } from './webview-html';

export class VerifierPanel implements vscode.Disposable {
  static readonly viewType = 'policyStudio.verifierLog';
  private static current?: VerifierPanel;
  private readonly disposables: vscode.Disposable[] = [];

  static show(ctx: Ctx, builds: DatapathBuilds, preserveFocus = false): VerifierPanel {
    if (VerifierPanel.current) {
      VerifierPanel.current.panel.reveal(undefined, preserveFocus);
      return VerifierPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(VerifierPanel.viewType, 'Policy Studio: Verifier Log',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus }, webviewOptions(ctx.extension.extensionUri));
    return (VerifierPanel.current = new VerifierPanel(ctx, builds, panel));
  }

  static revive(ctx: Ctx, builds: DatapathBuilds, panel: vscode.WebviewPanel): void {
    panel.webview.options = webviewOptions(ctx.extension.extensionUri);
    VerifierPanel.current?.dispose();
    VerifierPanel.current = new VerifierPanel(ctx, builds, panel);
  }

  private constructor(private readonly ctx: Ctx, private readonly builds: DatapathBuilds, readonly panel: vscode.WebviewPanel) {
    panel.webview.html = webviewHtml(panel.webview, ctx.extension.extensionUri, 'verifier', 'Verifier Log', '<div id="app"></div>');
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: VerifierFromWebview) => this.receive(m)),
      builds.onDidChange(() => this.send()),
    );
  }

  private receive(message: VerifierFromWebview): void {
    switch (message.type) {
      case 'ready':
        this.send();
        break;
      case 'build':
        void vscode.commands.executeCommand('policyStudio.buildDatapath');
        break;
      case 'openSource':
        void this.open(message.file, message.line);
        break;
    }
  }

  private async open(file: string, line: number): Promise<void> {
    const uri = resolveBpfFile(file, bpfSourceDirs(this.ctx.extension.extensionUri));
    if (!uri) {
      void vscode.window.showWarningMessage(`${file} is not on this machine (the agent built it on the target).`);
      return;
    }
    const position = new vscode.Position(Math.max(0, line - 1), 0);
    await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(position, position) });
  }

  private send(): void {
    const last = this.builds.last;
    const message: VerifierToWebview = {
      type: 'verifier/build', build: last?.result, time: last?.time,
      links: sourceLinks(last?.result, bpfSourceDirs(this.ctx.extension.extensionUri)),
    };
    void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    if (VerifierPanel.current === this) VerifierPanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
