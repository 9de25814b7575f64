/** Shared steps of the integration suites (bundled into each suite by esbuild). */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'policy-studio.ebpf-policy-studio';

export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the integration runner opens a workspace');
  return folder.uri;
}

/** Opens examples/shop.policy (copied into the test workspace) in an editor. */
export async function openShopPolicy(): Promise<vscode.TextEditor> {
  const uri = vscode.Uri.joinPath(workspaceRoot(), 'shop.policy');
  const doc = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(doc);
}

/** Undoes in-memory edits so each test starts from the file on disk. */
export async function revertActiveEditor(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.files.revert');
}

export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Zero-based line of the first line matching `pattern`. */
export function lineOf(doc: vscode.TextDocument, pattern: RegExp): number {
  for (let i = 0; i < doc.lineCount; i++) if (pattern.test(doc.lineAt(i).text)) return i;
  throw new Error(`no line matches ${pattern} in ${doc.uri.fsPath}`);
}
