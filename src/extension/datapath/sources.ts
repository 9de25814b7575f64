/**
 * Where the C files a build result names live on this machine. The agent
 * reports paths as it saw them on the target (absolute for the local target,
 * the upload directory for remote ones, or bare names in `; … @ file.c:NN`
 * verifier annotations): try the path itself, then the part after `bpf/`,
 * then the bare name, in the datapath directory the agent was told to build
 * (`policyStudio.datapathPath`, by default the extension's bpf/).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { DatapathBuildResult } from '../../protocol/agent-rpc';
import type { SourceFileLink } from '../../protocol/webview-messages';
import { configuredDatapathDir } from './datapath-dir';

/** Only the configured directory: a Problem must open the copy that was built, never a look-alike. */
export function bpfSourceDirs(extensionUri: vscode.Uri): string[] {
  try {
    return [configuredDatapathDir(extensionUri.fsPath)];
  } catch {
    // A bad setting fails the connect with its message; until then, show the shipped sources.
    return [path.join(extensionUri.fsPath, 'bpf')];
  }
}

export function resolveBpfFile(file: string, dirs: readonly string[]): vscode.Uri | undefined {
  if (path.isAbsolute(file) && fs.existsSync(file) && dirs.some((d) => file.startsWith(d + path.sep))) return vscode.Uri.file(file);
  const marker = file.lastIndexOf('bpf/');
  const relative = marker >= 0 ? file.slice(marker + 4) : file.replace(/^\.\//, '');
  for (const dir of dirs) {
    for (const candidate of [path.join(dir, relative), path.join(dir, path.basename(file)), path.join(dir, 'lib', path.basename(file))]) {
      if (fs.existsSync(candidate)) return vscode.Uri.file(candidate);
    }
  }
  if (path.isAbsolute(file) && fs.existsSync(file)) return vscode.Uri.file(file);
  return undefined;
}

/** Every file a build result names: its diagnostics and the verifier's `; … @ file:NN` annotations. */
export function filesOf(result: DatapathBuildResult): string[] {
  const files = new Set(result.diagnostics.map((d) => d.file));
  for (const m of result.verifierLog.matchAll(/^; .* @ (\S+):\d+$/gm)) files.add(m[1]);
  return [...files];
}

export function sourceLinks(result: DatapathBuildResult | undefined, dirs: readonly string[]): SourceFileLink[] {
  if (!result) return [];
  const links: SourceFileLink[] = [];
  for (const file of filesOf(result)) {
    const uri = resolveBpfFile(file, dirs);
    if (uri) links.push({ file, uri: uri.toString() });
  }
  return links;
}
