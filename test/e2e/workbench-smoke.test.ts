/**
 * The harness itself, end to end: the offline VS Code server starts with the
 * extension installed, Chromium loads the workbench, and a .policy file opens
 * in the "Policy" language mode contributed by the extension's manifest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openWorkbench } from '../harness/browser';
import { e2eArtifactsDir, extensionUnderTest } from '../harness/extension-under-test';
import { startVsCodeServer } from '../harness/vscode-server';

test('workbench loads with the extension and opens a .policy file as Policy', { timeout: 180_000 }, async (t) => {
  const artifacts = e2eArtifactsDir('smoke');
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-studio-smoke-ws-'));
  t.after(() => fs.rmSync(workspace, { recursive: true, force: true }));
  fs.writeFileSync(path.join(workspace, 'smoke.policy'), 'workload web { labels { app: "web" } }\n');

  const server = await startVsCodeServer({ extension: extensionUnderTest(), logFile: path.join(artifacts, 'server.log') });
  t.after(() => server.stop());
  const workbench = await openWorkbench(server.url, workspace, undefined, { artifactsDir: artifacts });
  t.after(() => workbench.close());

  await workbench.screenshot('workbench-loaded');
  await workbench.openFile('smoke.policy');
  const mode = workbench.statusBarItem('status.editor.mode');
  await mode.filter({ hasText: 'Policy' }).waitFor({ timeout: 30_000 });
  assert.match((await mode.textContent()) ?? '', /Policy/);
  await workbench.screenshot('policy-language-mode');
});
