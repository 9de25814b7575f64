/**
 * Everything the editor shows about the lab, wired once per extension context:
 * live rule counts and drop hovers, expect contradictions, Explain Drop, the
 * Lab view, the Test Explorer and the `policy-studio` task provider.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { DeployOutcome } from '../../client/agent-client';
import { LabTreeProvider } from '../views/lab-tree';
import { ExpectTests } from '../testing/expect-tests';
import { PolicyStudioTaskProvider, TASK_TYPE } from '../testing/task-provider';
import { ServiceMapPanel } from '../views/service-map-panel';
import { ExpectContradictions } from './expect-diagnostics';
import { RuleCountLensProvider } from './rule-count-lens';
import { RuleDropsHoverProvider } from './rule-hover';
import { RuleStats } from './rule-stats';
import { PolicyBundleCache } from './policy-bundle-cache';

export class EditorFeatures {
  readonly stats: RuleStats;
  readonly bundle: PolicyBundleCache;
  readonly lenses: RuleCountLensProvider;
  readonly contradictions: ExpectContradictions;
  readonly labTree: LabTreeProvider;
  readonly tests: ExpectTests;

  constructor(private readonly ctx: Ctx) {
    this.stats = new RuleStats(ctx.flows.ring);
    this.bundle = new PolicyBundleCache(() => ctx.client);
    this.lenses = new RuleCountLensProvider(this.bundle, this.stats);
    this.contradictions = new ExpectContradictions(this.bundle, this.stats);
    this.labTree = new LabTreeProvider(ctx);
    this.tests = new ExpectTests(ctx, this.bundle);
    const labView = vscode.window.createTreeView('policyStudio.lab', { treeDataProvider: this.labTree, showCollapseAll: true });
    this.stats.catchUp();
    ctx.push(
      this.bundle, this.lenses, this.contradictions, this.labTree, this.tests, labView,
      vscode.languages.registerCodeLensProvider({ language: 'policy' }, this.lenses),
      vscode.languages.registerHoverProvider({ language: 'policy' }, new RuleDropsHoverProvider(this.bundle, this.stats)),
      vscode.tasks.registerTaskProvider(TASK_TYPE, new PolicyStudioTaskProvider(ctx.extension.asAbsolutePath('dist/cli.js'))),
      ctx.flows.onDidAppend(() => {
        this.stats.catchUp();
        this.lenses.refresh();
        this.contradictions.refresh();
      }),
      ctx.flows.onDidClear(() => this.resetCounts()),
      ctx.status.onDidChange(() => this.labTree.refresh()),
      this.bundle.onDidChange(() => this.contradictions.refresh()),
      vscode.workspace.onDidSaveTextDocument((doc) => this.deployOnSave(doc)),
      vscode.window.registerWebviewPanelSerializer(ServiceMapPanel.viewType, {
        deserializeWebviewPanel: async (panel) => ServiceMapPanel.revive(ctx, panel),
      }),
    );
    void vscode.commands.executeCommand('setContext', 'policyStudio.connected', false);
    void this.discoverWhenLanguageServerIsUp();
  }

  /** The language client starts after the features are registered: list the expects once it is there. */
  private async discoverWhenLanguageServerIsUp(): Promise<void> {
    for (let i = 0; i < 600 && !this.ctx.client; i++) await new Promise((r) => setTimeout(r, 100));
    await this.tests.discover();
    this.lenses.refresh();
  }

  /** A deploy succeeded: counts start again from zero for the rules as deployed. */
  deployed(outcome: DeployOutcome): void {
    if (outcome.datapath) this.labTree.datapath = outcome.datapath;
    this.resetCounts();
    this.labTree.refresh();
  }

  resetCounts(): void {
    this.stats.reset();
    this.lenses.refresh();
    void this.contradictions.update();
  }

  async refreshLab(): Promise<void> {
    await this.ctx.session?.refreshLab().catch(() => undefined);
    this.labTree.refresh();
  }

  /** `policyStudio.connect`: starts the session, or says why it cannot (untrusted workspace, target unreachable). */
  async connect(): Promise<boolean> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Policy Studio: this workspace is not trusted, so it cannot run an agent on a target.', 'Manage Workspace Trust')
        .then((c) => c && vscode.commands.executeCommand('workbench.trust.manage'));
      return false;
    }
    try {
      await this.ctx.ensureSession();
      this.labTree.refresh();
      return true;
    } catch (error) {
      void vscode.window.showErrorMessage(`Policy Studio: could not connect to ${this.ctx.target.label}: ${error instanceof Error ? error.message : String(error)}`, 'Show Log', 'Select Target')
        .then((c) => c && vscode.commands.executeCommand(c === 'Show Log' ? 'policyStudio.showLog' : 'policyStudio.selectTarget'));
      return false;
    }
  }

  private deployOnSave(doc: vscode.TextDocument): void {
    if (doc.languageId !== 'policy' || !this.ctx.session?.lab || !vscode.workspace.isTrusted) return;
    if (!vscode.workspace.getConfiguration('policyStudio').get<boolean>('deployOnSave', false)) return;
    void vscode.commands.executeCommand('policyStudio.deploy');
  }
}

const registry = new WeakMap<Ctx, EditorFeatures>();

export function registerEditorFeatures(ctx: Ctx): EditorFeatures {
  const features = new EditorFeatures(ctx);
  registry.set(ctx, features);
  return features;
}

export function editorFeatures(ctx: Ctx): EditorFeatures | undefined {
  return registry.get(ctx);
}
