/**
 * Real drops that contradict an `expect … allowed` line become a warning on
 * that line (the static check may pass while the datapath disagrees, or the
 * lab was deployed from an older version of the file).
 */
import { Coalesced } from './coalesce';
import * as vscode from 'vscode';
import { decisionText, flowDecision } from '../../protocol/decision-text';
import { contradictions } from './expect-contradictions';
import { describeFlow, type RuleStats } from './rule-stats';
import type { PolicyBundleCache } from './policy-bundle-cache';

export class ExpectContradictions implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('policy-studio-live');
  private readonly refresher = new Coalesced(() => void this.update());

  constructor(private readonly bundle: PolicyBundleCache, private readonly stats: RuleStats) {}

  refresh(): void {
    this.refresher.request();
  }

  async update(): Promise<void> {
    const compiled = await this.bundle.get();
    this.collection.clear();
    if (!compiled) return;
    const byUri = new Map<string, vscode.Diagnostic[]>();
    for (const { expect, drop, count } of contradictions(compiled.bundle.expects, this.stats.ring, this.stats.drops)) {
      const r = expect.source.range;
      const diagnostic = new vscode.Diagnostic(
        new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character),
        `Expected allowed, but the datapath reports ${describeFlow(drop)} ${decisionText(flowDecision(drop))} (${count} drop${count === 1 ? '' : 's'} since deploy, last at ${new Date(drop.time).toLocaleTimeString()}).`,
        vscode.DiagnosticSeverity.Warning,
      );
      diagnostic.source = 'Policy Studio (live)';
      diagnostic.code = 'expect-contradicted-by-drop';
      if (drop.source) {
        const s = drop.source.range;
        diagnostic.relatedInformation = [new vscode.DiagnosticRelatedInformation(
          new vscode.Location(vscode.Uri.parse(drop.source.uri), new vscode.Range(s.start.line, s.start.character, s.end.line, s.end.character)),
          'the line that decided the drop',
        )];
      }
      const list = byUri.get(expect.source.uri) ?? [];
      list.push(diagnostic);
      byUri.set(expect.source.uri, list);
    }
    for (const [uri, list] of byUri) this.collection.set(vscode.Uri.parse(uri), list);
  }

  dispose(): void {
    this.refresher.dispose();
    this.collection.dispose();
  }
}
