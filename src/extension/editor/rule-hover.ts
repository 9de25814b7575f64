/** Hover on a rule or a `select` line: its last dropped flows, each with an Explain link. */
import * as vscode from 'vscode';
import { describeDropReason } from '../../protocol/drop-reasons';
import { describeFlow, type RuleStats, type Tally } from './rule-stats';
import type { PolicyBundleCache } from './policy-bundle-cache';

export class RuleDropsHoverProvider implements vscode.HoverProvider {
  constructor(private readonly bundle: PolicyBundleCache, private readonly stats: RuleStats) {}

  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const compiled = await this.bundle.get();
    if (!compiled) return undefined;
    const uri = document.uri.toString();
    const line = position.line;
    for (const policy of compiled.bundle.policies) {
      if (policy.selectSource.uri === uri && policy.selectSource.range.start.line === line) {
        return hover(`Default-deny drops of policy \`${policy.name}\``, this.stats.policy(policy.id));
      }
      for (const rule of [...(policy.ingress ?? []), ...(policy.egress ?? [])]) {
        if (rule.source.uri === uri && rule.source.range.start.line === line) return hover(`\`${rule.text}\``, this.stats.rule(rule.id));
      }
    }
    return undefined;
  }
}

function hover(title: string, tally: Tally): vscode.Hover | undefined {
  if (!tally.allowed && !tally.denied) return undefined;
  const md = new vscode.MarkdownString(undefined, true);
  md.isTrusted = { enabledCommands: ['policyStudio.explainDrop'] };
  md.appendMarkdown(`**${title}** since deploy: ${tally.allowed} allowed, ${tally.denied} denied\n\n`);
  const lastDrops = tally.lastDrops();
  if (lastDrops.length) md.appendMarkdown('Last drops:\n\n');
  for (const flow of lastDrops) {
    const args = encodeURIComponent(JSON.stringify([flow]));
    const time = new Date(flow.time).toLocaleTimeString();
    md.appendMarkdown(`- ${time} \`${describeFlow(flow)}\` — ${describeDropReason(flow.dropReason)} · [Explain](command:policyStudio.explainDrop?${args})\n`);
  }
  return new vscode.Hover(md);
}
