/** The language server's diagnostics and completion, through the real vscode API. */
import * as assert from 'node:assert/strict';
import { suite, teardown, test } from 'mocha';
import * as vscode from 'vscode';
import { lineOf, openShopPolicy, revertActiveEditor, waitFor } from './helpers';

suite('language', () => {
  teardown(revertActiveEditor);

  test('a typo in a workload name on an expect line is an error on that line', async () => {
    const editor = await openShopPolicy();
    const doc = editor.document;
    const line = lineOf(doc, /^expect\s+frontend\s+->\s+db\b/);
    const start = doc.lineAt(line).text.indexOf('frontend');
    // Edit in memory only: the file on disk stays as the example ships it.
    await editor.edit((e) => e.replace(new vscode.Range(line, start, line, start + 'frontend'.length), 'frontnd'));
    const diagnostic = await waitFor('a diagnostic on the typo', () =>
      vscode.languages.getDiagnostics(doc.uri).find((d) => d.range.start.line === line && d.severity === vscode.DiagnosticSeverity.Error));
    assert.match(diagnostic.message, /frontnd/);
  });

  test('completion after `app == "` offers the label values of the workspace', async () => {
    const editor = await openShopPolicy();
    const doc = editor.document;
    const end = doc.lineAt(doc.lineCount - 1).range.end;
    // What the editor holds after a user types `app == "`: the quote auto-closed, the cursor between.
    const added = '\n\npolicy completion-probe {\n  select app == ""\n}\n';
    await editor.edit((e) => e.insert(end, added));
    const selectLine = lineOf(doc, /select app == ""$/);
    const position = new vscode.Position(selectLine, doc.lineAt(selectLine).text.lastIndexOf('"'));
    const labels = await waitFor('completion items with label values', async () => {
      const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, position);
      const names = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label).replace(/"/g, ''));
      return names.includes('frontend') ? names : undefined;
    });
    assert.ok(labels.includes('frontend'));
    assert.ok(labels.includes('db'), `label values of every workload are offered: ${labels.join(', ')}`);
  });
});
