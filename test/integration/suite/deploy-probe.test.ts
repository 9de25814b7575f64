/**
 * The whole loop through the extension's commands: deploy the example to a
 * real lab on this machine (its lab name comes from the test workspace's
 * settings), probe a connection the policy denies, tear the lab down.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { suite, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import type { LabState, PolicyApplyResult, ProbeResult } from '../../../src/protocol/agent-rpc';
import { lineOf, openShopPolicy } from './helpers';

interface DeployResult { ok: boolean; lab?: LabState; apply?: PolicyApplyResult; error?: string; policyUpdate?: 'patch' | 'apply' }

function labName(): string {
  return vscode.workspace.getConfiguration('policyStudio').get<string>('labName', 'studio');
}

function labNamespaces(): string[] {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(`ps-${labName()}-`));
}

suite('deploy, probe, teardown', function () {
  this.timeout(180_000);
  suiteTeardown(async () => {
    await vscode.commands.executeCommand('policyStudio.teardown');
  });

  test('the test workspace uses its own lab', () => {
    assert.notEqual(labName(), 'studio', 'integration tests never touch the default (user) lab');
  });

  test('deploy builds the lab and programs the policy', async () => {
    await openShopPolicy();
    const result = await vscode.commands.executeCommand<DeployResult>('policyStudio.deploy');
    assert.ok(result, 'policyStudio.deploy returns a result');
    assert.equal(result.error, undefined);
    assert.equal(result.ok, true);
    const workloads = new Set(result.lab?.endpoints.map((e) => e.workload));
    for (const w of ['frontend', 'backend', 'db']) assert.ok(workloads.has(w), `lab has workload ${w}`);
    assert.ok((result.apply?.entriesWritten ?? 0) > 0, 'policy map entries were written');
    assert.ok(labNamespaces().length >= 4, 'one namespace per endpoint plus the node');
  });

  test('probe frontend → db:5432/tcp is denied by db-ingress default deny (drop reason 133)', async () => {
    const result = await vscode.commands.executeCommand<ProbeResult | undefined>('policyStudio.probe',
      { from: 'frontend', to: 'db', port: 5432, protocol: 'tcp' });
    assert.ok(result, 'policyStudio.probe returns a ProbeResult');
    assert.equal(result.verdict, 'denied');
    assert.ok(result.flow, 'the datapath reported the flow');
    assert.equal(result.flow.verdict, 'dropped');
    assert.equal(result.flow.dropReason, 133);
  });

  test('probe backend → db:5432/tcp is allowed', async () => {
    const result = await vscode.commands.executeCommand<ProbeResult | undefined>('policyStudio.probe',
      { from: 'backend', to: 'db', port: 5432, protocol: 'tcp' });
    assert.ok(result);
    assert.equal(result.verdict, 'allowed');
  });

  test('an edit to one policy deploys as a patch: frontend → db:5432 opens, and closes again', async () => {
    const editor = await openShopPolicy();
    const probe = () => vscode.commands.executeCommand<ProbeResult | undefined>('policyStudio.probe', { from: 'frontend', to: 'db', port: 5432, protocol: 'tcp' });
    const allowLine = lineOf(editor.document, /allow from app == "backend" to port 5432\/tcp/);
    const added = '    allow from app == "frontend" to port 5432/tcp\n';
    const original = editor.document.getText();
    try {
      await editor.edit((e) => e.insert(new vscode.Position(allowLine + 1, 0), added));
      const opened = await vscode.commands.executeCommand<DeployResult>('policyStudio.deploy');
      assert.equal(opened.ok, true, opened.error);
      assert.equal(opened.policyUpdate, 'patch', 'only the changed policy was sent');
      assert.equal((await probe())?.verdict, 'allowed');

      await editor.edit((e) => e.delete(new vscode.Range(allowLine + 1, 0, allowLine + 2, 0)));
      const closed = await vscode.commands.executeCommand<DeployResult>('policyStudio.deploy');
      assert.equal(closed.ok, true, closed.error);
      assert.equal(closed.policyUpdate, 'patch');
      assert.equal((await probe())?.verdict, 'denied');
    } finally {
      // Later suites read shop.policy from disk: leave it as it was.
      if (editor.document.getText() !== original) {
        const all = new vscode.Range(0, 0, editor.document.lineCount, 0);
        await editor.edit((e) => e.replace(all, original));
      }
      await editor.document.save();
    }
  });

  test('teardown removes every namespace of the lab', async () => {
    await vscode.commands.executeCommand('policyStudio.teardown');
    assert.deepEqual(labNamespaces(), []);
  });
});
