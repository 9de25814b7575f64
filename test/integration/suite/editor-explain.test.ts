/**
 * Explain Drop and the live rule counts on a real drop: deploy the example to
 * this file's lab, probe frontend → db:5432/tcp (db-ingress's default deny),
 * then explain the flow the datapath reported and read the CodeLens counts.
 */
import * as assert from 'node:assert/strict';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import type { ProbeResult } from '../../../src/protocol/agent-rpc';
import type { DropExplanation } from '../../../src/protocol/drop-explanation';
import { lineOf, openShopPolicy, revertActiveEditor, waitFor } from './helpers';

suite('Explain Drop on a real drop', function () {
  this.timeout(240_000);
  let drop: ProbeResult;
  let editor: vscode.TextEditor;

  suiteSetup(async () => {
    editor = await openShopPolicy();
    const deployed = await vscode.commands.executeCommand<{ ok: boolean; error?: string }>('policyStudio.deploy');
    assert.ok(deployed?.ok, `deploy: ${deployed?.error}`);
    const probe = await vscode.commands.executeCommand<ProbeResult>('policyStudio.probe', { from: 'frontend', to: 'db', port: 5432, protocol: 'tcp' });
    assert.equal(probe?.verdict, 'denied');
    assert.ok(probe.flow, 'the datapath reported the drop');
    drop = probe;
  });
  suiteTeardown(async () => {
    await revertActiveEditor();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('policyStudio.teardown');
  });

  test('explains the default deny in plain words with both identities, the steps and the select line', async () => {
    const e = await vscode.commands.executeCommand<DropExplanation>('policyStudio.explainDrop', drop.flow);
    assert.ok(e, 'explainDrop returns the explanation');
    assert.match(e.summary, /frontend \(identity \d+\) to default\/db \(identity \d+\) on 5432\/tcp at the ingress of default\/db: dropped \(Policy denied, 133\) by the default deny of policy default\/db-ingress for ingress \(shop\.policy:\d+\)/);
    assert.match(e.summary, /db-ingress selects default\/db for ingress/);
    assert.deepEqual(e.ends.map((x) => x.labels.app), ['frontend', 'db']);
    assert.ok(e.ends.every((x) => x.identity >= 256), 'both ends have lab identities');
    assert.ok(e.steps.length >= 2, `the evaluator's steps: ${JSON.stringify(e.steps)}`);
    assert.equal(e.staticVerdict, 'denied');
    assert.equal(e.decidingSource?.range.start.line, lineOf(editor.document, /^\s*select\s+app\s*==\s*"db"/));
  });

  test('proposes the allow rule; once added, the evaluator allows the packet', async () => {
    const e = await vscode.commands.executeCommand<DropExplanation>('policyStudio.explainDrop', drop.flow);
    assert.ok(e.fix, 'a default deny has a fix');
    assert.match(e.fix.newText, /allow from .*app == "frontend".* to port 5432\/tcp/);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(vscode.Uri.parse(e.fix.uri), new vscode.Position(e.fix.position.line, e.fix.position.character), e.fix.newText);
    assert.ok(await vscode.workspace.applyEdit(edit));
    const after = await waitFor('the evaluator to see the new rule', async () => {
      const again = await vscode.commands.executeCommand<DropExplanation>('policyStudio.explainDrop', drop.flow);
      return again.staticVerdict === 'allowed' ? again : undefined;
    });
    assert.equal(after.flow.verdict, 'dropped', 'the drop itself stays what the datapath did');
    await revertActiveEditor();
  });

  test('the select line of db-ingress counts the default-deny drop', async () => {
    const selectLine = lineOf(editor.document, /^\s*select\s+app\s*==\s*"db"/);
    const title = await waitFor('a default-deny count on the select line', async () => {
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri, 100);
      const lens = lenses.find((l) => l.range.start.line === selectLine && /default-deny drop/.test(l.command?.title ?? ''));
      return lens && /[1-9]\d* default-deny drop/.test(lens.command!.title) ? lens.command!.title : undefined;
    });
    assert.match(title, /default-deny drop/);
  });
});
