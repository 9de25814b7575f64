/**
 * The `policy-studio` task provider: it offers `test` (static) and
 * `test --live` for the workspace, and running the static task runs the real
 * CLI over the workspace's files — exit 0 on the example, 1 with a failing expect.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { suite, test } from 'mocha';
import * as vscode from 'vscode';
import { workspaceRoot } from './helpers';

async function runTask(task: vscode.Task): Promise<number | undefined> {
  const ended = new Promise<number | undefined>((resolve) => {
    const sub = vscode.tasks.onDidEndTaskProcess((e) => {
      if (e.execution.task.name === task.name && e.execution.task.definition.type === 'policy-studio') {
        sub.dispose();
        resolve(e.exitCode);
      }
    });
  });
  await vscode.tasks.executeTask(task);
  return ended;
}

suite('policy-studio tasks', function () {
  this.timeout(120_000);

  test('offers a static and a live test task', async () => {
    const tasks = await vscode.tasks.fetchTasks({ type: 'policy-studio' });
    assert.deepEqual(tasks.map((t) => t.name).sort(), ['test', 'test --live']);
    const live = tasks.find((t) => t.name === 'test --live')!;
    assert.ok(live.execution instanceof vscode.ProcessExecution);
    assert.ok((live.execution as vscode.ProcessExecution).args.includes('--live'));
    assert.equal(live.group?.id, vscode.TaskGroup.Test.id);
  });

  test('the static task passes on the example (exit 0)', async () => {
    const task = (await vscode.tasks.fetchTasks({ type: 'policy-studio' })).find((t) => t.name === 'test')!;
    assert.equal(await runTask(task), 0);
  });

  test('a failing expect fails the task (exit 1)', async () => {
    const file = path.join(workspaceRoot().fsPath, 'it-failing.policy');
    fs.writeFileSync(file, [
      'workload web { labels { app: "web" } }',
      'workload api { labels { app: "api" } }',
      'policy api-in { select app == "api" ingress { } }',
      'expect web -> api:80/tcp allowed',
      '',
    ].join('\n'));
    try {
      const base = (await vscode.tasks.fetchTasks({ type: 'policy-studio' })).find((t) => t.name === 'test')!;
      const task = new vscode.Task({ type: 'policy-studio', command: 'test', files: ['it-failing.policy'] }, base.scope as vscode.WorkspaceFolder, 'test it-failing', 'policy-studio',
        new vscode.ProcessExecution(process.execPath, [...(base.execution as vscode.ProcessExecution).args.slice(0, 2), 'it-failing.policy'], (base.execution as vscode.ProcessExecution).options));
      assert.equal(await runTask(task), 1);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });
});
