/**
 * The workspace's compiled policy bundle, asked of the language server and
 * kept until a policy document changes: rule ids → lines for the CodeLens
 * counts, expects for diagnostics and the Test Explorer.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { CompileWorkspace, TracePacket, type CompileResult, type TraceParams, type TraceResponse } from '../../protocol/language-rpc';

export class PolicyBundleCache implements vscode.Disposable {
  private cached?: Promise<CompileResult | undefined>;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly client: () => LanguageClient | undefined) {
    const invalidate = (doc: vscode.TextDocument): void => {
      if (doc.languageId !== 'policy') return;
      this.cached = undefined;
      // Typing fires many changes: tell listeners once it settles.
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.changed.fire(), 300);
    };
    this.subscriptions.push(
      vscode.workspace.onDidChangeTextDocument((e) => invalidate(e.document)),
      vscode.workspace.onDidOpenTextDocument(invalidate),
      vscode.workspace.onDidSaveTextDocument(invalidate),
      this.changed,
    );
  }

  /** The current compilation, or undefined while the language server is not up. */
  get(): Promise<CompileResult | undefined> {
    const client = this.client();
    if (!client) return Promise.resolve(undefined);
    this.cached ??= Promise.resolve(client.sendRequest(CompileWorkspace, {})).catch(() => {
      this.cached = undefined;
      return undefined;
    });
    return this.cached;
  }

  async trace(params: TraceParams): Promise<TraceResponse> {
    const client = this.client();
    if (!client) return { error: 'the policy language server is not running' };
    return client.sendRequest(TracePacket, params);
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }
}
