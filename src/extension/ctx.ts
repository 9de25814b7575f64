/**
 * The extension's context: owns the language client, the component logs, the
 * status item, the flow ring and the agent session, and everything that must
 * be disposed.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { AgentSession } from './agent-session';
import { DatapathBuilds } from './datapath/builds';
import { configuredDatapathDir } from './datapath/datapath-dir';
import { configuredLocalDelivery, watchLiveSettings } from './live-settings';
import { ComponentLogs } from './logs';
import { registerCommands } from './commands/register';
import { registerEditorFeatures } from './editor/features';
import { FlowStore } from './flow-store';
import { startLanguageClient } from './language-client';
import { StatusItem } from './status';
import { ConfiguredTarget } from './targets/configured-target';
import { TargetLifecycle } from './targets/target-lifecycle';
import type { Target } from './targets/target';
import { FlowsPanel } from './views/flows-panel';
import { PolicyCodeLensProvider } from './views/policy-codelens';
import { registerDatapathViews } from './views/register-webviews';

export class Ctx implements vscode.Disposable {
  /** One LogOutputChannel per component; `log` is the extension's own (its commands). */
  readonly logs = new ComponentLogs();
  readonly log = this.logs.extension;
  readonly flows = new FlowStore();
  /** The last datapath build, for the verifier-log view and the datapath's Problems. */
  readonly datapathBuilds = new DatapathBuilds();
  readonly status: StatusItem;
  readonly target: Target;
  readonly targets: TargetLifecycle;
  client?: LanguageClient;
  session?: AgentSession;
  private connecting?: Promise<AgentSession>;
  private readonly disposables: vscode.Disposable[] = [];

  private constructor(readonly extension: vscode.ExtensionContext) {
    this.target = new ConfiguredTarget(extension);
    this.status = new StatusItem(this.target.label);
    this.targets = new TargetLifecycle(this);
    this.disposables.push(this.logs, this.flows, this.status, this.targets);
  }

  static async create(extension: vscode.ExtensionContext): Promise<Ctx> {
    const ctx = new Ctx(extension);
    extension.subscriptions.push(ctx);
    registerCommands(ctx, registerEditorFeatures(ctx));
    ctx.disposables.push(...registerDatapathViews(ctx), watchLiveSettings(ctx));
    ctx.disposables.push(
      vscode.languages.registerCodeLensProvider({ language: 'policy' }, new PolicyCodeLensProvider()),
      vscode.window.registerWebviewPanelSerializer(FlowsPanel.viewType, {
        deserializeWebviewPanel: async (panel) => FlowsPanel.revive(ctx, panel),
      }),
    );
    ctx.client = await startLanguageClient(extension, ctx.logs.languageServer);
    ctx.log.info('Policy Studio activated');
    return ctx;
  }

  get labName(): string {
    return vscode.workspace.getConfiguration('policyStudio').get<string>('labName', 'studio');
  }

  get version(): string {
    return String(this.extension.extension.packageJSON.version ?? '0.0.0');
  }

  /** The live agent session, started on first use. */
  async ensureSession(): Promise<AgentSession> {
    if (this.session) return this.session;
    return this.connecting ?? this.track(this.connect());
  }

  /** A session being started (first use, reconnect or restart), for commands that must wait for it rather than ask. */
  get pendingSession(): Promise<AgentSession> | undefined {
    return this.connecting;
  }

  /**
   * Closes the session and starts a new one (a setting the agent is started
   * with changed). Commands issued meanwhile wait for the new session instead
   * of finding none; the pinned datapath keeps enforcing throughout.
   */
  restartSession(): Promise<AgentSession> {
    const old = this.session;
    this.session = undefined; // its close is not a lost connection
    return this.track((async () => {
      await old?.dispose();
      return this.connect();
    })());
  }

  /** Remembers a connect in flight until it settles (also when it throws before its first await). */
  private track(connecting: Promise<AgentSession>): Promise<AgentSession> {
    this.connecting = connecting;
    void connecting.catch(() => undefined).finally(() => {
      if (this.connecting === connecting) this.connecting = undefined;
    });
    return connecting;
  }

  private async connect(): Promise<AgentSession> {
    this.status.set('connecting');
    try {
      const session = await AgentSession.connect(this.target, {
        labName: this.labName, flows: this.flows, version: this.version,
        datapathDir: configuredDatapathDir(this.extension.extensionPath),
        traceAll: vscode.workspace.getConfiguration('policyStudio').get<boolean>('traceAll', false),
        localDelivery: configuredLocalDelivery(),
        agentLog: this.logs.agent, targetLog: this.logs.target,
      });
      session.onDidClose(() => {
        if (this.session === session) {
          this.session = undefined;
          this.status.set('disconnected', 'The agent exited; the datapath keeps enforcing from its pins.');
          this.targets.closed();
        }
      });
      this.session = session;
      this.status.set('connected', `Agent ${session.hello.agentVersion}, kernel ${session.hello.kernel}`);
      this.targets.connected(session);
      return session;
    } catch (error) {
      this.logs.target.error(`connecting to ${this.target.label} failed: ${error instanceof Error ? error.message : String(error)}`);
      this.status.set('error', error instanceof Error ? error.message : String(error));
      throw error;
    }
  }

  push(...disposables: vscode.Disposable[]): void {
    this.disposables.push(...disposables);
  }

  async dispose(): Promise<void> {
    await this.session?.dispose();
    await this.client?.stop().catch(() => undefined);
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
  }
}
