/**
 * Live counts above every rule (allowed / denied since deploy) and above a
 * policy's `select` line (the default-deny drops it caused), from the flow ring.
 */
import { Coalesced } from './coalesce';
import * as vscode from 'vscode';
import type { RuleStats } from './rule-stats';
import type { PolicyBundleCache } from './policy-bundle-cache';

export class RuleCountLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly refresher = new Coalesced(() => this.changed.fire());

  constructor(private readonly bundle: PolicyBundleCache, private readonly stats: RuleStats) {}

  /** Flows arrive in bursts: refresh the lenses at most twice a second. */
  refresh(): void {
    this.refresher.request();
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const compiled = await this.bundle.get();
    if (!compiled) return [];
    const uri = document.uri.toString();
    const lenses: vscode.CodeLens[] = [];
    for (const policy of compiled.bundle.policies) {
      if (policy.selectSource.uri === uri) {
        const tally = this.stats.policy(policy.id);
        const range = lineRange(policy.selectSource.range.start.line);
        lenses.push(new vscode.CodeLens(range, {
          title: `$(circle-slash) ${tally.denied} default-deny drop${tally.denied === 1 ? '' : 's'}`,
          tooltip: `Packets dropped since deploy because ${policy.name} selects this endpoint and no rule allowed them`,
          command: tally.denied ? 'policyStudio.explainDrop' : '',
          arguments: tally.denied ? tally.lastDrops(1) : [],
        }));
      }
      for (const rule of [...(policy.ingress ?? []), ...(policy.egress ?? [])]) {
        if (rule.source.uri !== uri) continue;
        const tally = this.stats.rule(rule.id);
        lenses.push(new vscode.CodeLens(lineRange(rule.source.range.start.line), {
          title: `$(pass) ${tally.allowed} allowed · $(error) ${tally.denied} denied`,
          tooltip: `Flows this rule decided since deploy (${rule.id})`,
          command: tally.denied ? 'policyStudio.explainDrop' : '',
          arguments: tally.denied ? tally.lastDrops(1) : [],
        }));
      }
    }
    return lenses;
  }

  dispose(): void {
    this.refresher.dispose();
    this.changed.dispose();
  }
}

function lineRange(line: number): vscode.Range {
  return new vscode.Range(line, 0, line, 0);
}
