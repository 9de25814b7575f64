import * as vscode from 'vscode';
import type { SourceLocation } from '../../protocol/policy-ir';

/** Opens the document of a policy source location with the cursor on it. */
export async function revealSource(source: SourceLocation, column = vscode.ViewColumn.One): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(source.uri));
  const start = new vscode.Position(source.range.start.line, source.range.start.character);
  const end = new vscode.Position(source.range.end.line, source.range.end.character);
  const editor = await vscode.window.showTextDocument(document, { viewColumn: column, preserveFocus: false });
  editor.selection = new vscode.Selection(start, start);
  editor.revealRange(new vscode.Range(start, end), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  return editor;
}
