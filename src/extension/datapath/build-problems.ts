/**
 * A rejected datapath in the Problems panel: clang's diagnostics and the
 * verifier's error (the agent maps it to the last `; … @ file.c:NN` line) on
 * the bpf/*.c or .h line, in our own DiagnosticCollection (not cpptools'), so
 * they clear when the next build succeeds.
 */
import * as vscode from 'vscode';
import type { DatapathBuild, DatapathBuilds } from './builds';
import { bpfSourceDirs, resolveBpfFile } from './sources';

const SEVERITY: Record<string, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  note: vscode.DiagnosticSeverity.Information,
};

export class DatapathProblems implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('policy-studio-datapath');
  private readonly subscription: vscode.Disposable;

  constructor(builds: DatapathBuilds, private readonly extensionUri: vscode.Uri, private readonly log: vscode.LogOutputChannel) {
    this.subscription = builds.onDidChange((b) => this.show(b));
  }

  private show({ result }: DatapathBuild): void {
    this.collection.clear();
    const dirs = bpfSourceDirs(this.extensionUri);
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const d of result.diagnostics) {
      const uri = resolveBpfFile(d.file, dirs);
      if (!uri) {
        this.log.warn(`datapath ${d.severity} in ${d.file}:${d.line} (not found locally): ${d.message}`);
        continue;
      }
      const line = Math.max(0, d.line - 1);
      const column = Math.max(0, d.column - 1);
      const diagnostic = new vscode.Diagnostic(new vscode.Range(line, column, line, Number.MAX_SAFE_INTEGER), d.message, SEVERITY[d.severity] ?? vscode.DiagnosticSeverity.Error);
      diagnostic.source = d.message.startsWith('verifier:') ? 'eBPF verifier' : 'clang (datapath)';
      const list = byFile.get(uri.toString()) ?? [];
      list.push(diagnostic);
      byFile.set(uri.toString(), list);
    }
    for (const [uri, list] of byFile) this.collection.set(vscode.Uri.parse(uri), list);
  }

  dispose(): void {
    this.subscription.dispose();
    this.collection.dispose();
  }
}
