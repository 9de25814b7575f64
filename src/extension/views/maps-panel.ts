/**
 * The maps webview: every pinned map of the datapath (type, size, fill) with
 * its entries decoded by the agent (`maps/dump`: IPs as text, identities with
 * their label sets, rule cookies with the rule's text and source), paged with
 * the agent's cursor. The dump is fetched on `ready` and on refresh, so a
 * reloaded panel simply asks again.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { MapsFromWebview, MapsToWebview } from '../../protocol/webview-messages';
import { messageOf } from '../commands/message-of';
import { revealSource } from './reveal';
import { webviewHtml, webviewOptions } from './webview-html';

const PAGE = 500;

export class MapsPanel implements vscode.Disposable {
  static readonly viewType = 'policyStudio.maps';
  private static current?: MapsPanel;
  private readonly disposables: vscode.Disposable[] = [];

  static show(ctx: Ctx): MapsPanel {
    if (MapsPanel.current) {
      MapsPanel.current.panel.reveal();
      void MapsPanel.current.refresh();
      return MapsPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(MapsPanel.viewType, 'Policy Studio: Maps', vscode.ViewColumn.Active, webviewOptions(ctx.extension.extensionUri));
    return (MapsPanel.current = new MapsPanel(ctx, panel));
  }

  static revive(ctx: Ctx, panel: vscode.WebviewPanel): void {
    panel.webview.options = webviewOptions(ctx.extension.extensionUri);
    MapsPanel.current?.dispose();
    MapsPanel.current = new MapsPanel(ctx, panel);
  }

  private constructor(private readonly ctx: Ctx, readonly panel: vscode.WebviewPanel) {
    panel.webview.html = webviewHtml(panel.webview, ctx.extension.extensionUri, 'maps', 'Maps', '<div id="app"></div>');
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: MapsFromWebview) => this.receive(m)),
    );
  }

  private receive(message: MapsFromWebview): void {
    switch (message.type) {
      case 'ready':
      case 'refresh':
        void this.refresh();
        break;
      case 'maps/more':
        void this.more(message.map, message.cursor);
        break;
      case 'reveal':
        void revealSource(message.source, vscode.ViewColumn.One);
        break;
    }
  }

  async refresh(): Promise<void> {
    const session = this.ctx.session;
    if (!session) {
      this.post({ type: 'maps/list', pinDir: '', maps: [], time: Date.now(), error: 'Not connected to an agent. Deploy the policy (Policy Studio: Deploy) to load the datapath, then refresh.' });
      return;
    }
    try {
      const dump = await session.dumpMaps({ limit: PAGE });
      this.post({ type: 'maps/list', pinDir: dump.pinDir, maps: dump.maps, time: Date.now() });
    } catch (error) {
      this.post({ type: 'maps/list', pinDir: '', maps: [], time: Date.now(), error: messageOf(error) });
    }
  }

  private async more(map: string, cursor: string): Promise<void> {
    try {
      const dump = await this.ctx.session?.dumpMaps({ map, cursor, limit: PAGE });
      const page = dump?.maps.find((m) => m.name === map);
      if (page) this.post({ type: 'maps/page', map: page, append: true });
    } catch (error) {
      void vscode.window.showErrorMessage(`Policy Studio: could not read ${map}: ${messageOf(error)}`);
    }
  }

  private post(message: MapsToWebview): void {
    void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    if (MapsPanel.current === this) MapsPanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
