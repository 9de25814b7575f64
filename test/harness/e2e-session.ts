/**
 * One e2e session as every UI scenario starts it: a temp copy of examples/
 * whose .vscode/settings.json names the test file's own lab, a VS Code server
 * with the extension under test (log in the artifacts dir), the workbench open
 * on that workspace, and `step()` for scenarios whose steps build on each other.
 * Everything is removed when the test ends, also when it fails.
 */
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { openWorkbench, type Workbench } from './browser';
import { e2eArtifactsDir, extensionUnderTest } from './extension-under-test';
import { labNamespaces, removeLabLeftovers } from './lab-cleanup';
import { FOLLOW_ON_SKIP_REASON } from './skipped-tests';
import { REPO_ROOT, startVsCodeServer, type VsCodeServer } from './vscode-server';

export interface E2eSessionOptions {
  /** Artifacts dir (`test-results/e2e/<name>/`) and temp workspace prefix. */
  name: string;
  /** The test file's own lab (^[a-z][a-z0-9]{0,7}$), written as `policyStudio.labName`. */
  lab: string;
  /** More workspace settings, after the lab name and `files.autoSave: off`. */
  settings?: Record<string, unknown>;
  /** Extra files written into the workspace: relative path → content. */
  files?: Record<string, string>;
  /** Repository folders copied into the workspace under the same name (e.g. `bpf`). */
  repoDirs?: string[];
  /** Extra environment of the VS Code server (and so of the extension host). */
  serverEnv?: Record<string, string>;
  /** Runs in the lab cleanup hook before the lab's leftovers are removed. */
  beforeLabCleanup?: () => void | Promise<void>;
  /** Runs in the lab cleanup hook after the leftovers, before the workspace is removed. */
  afterLabCleanup?: () => void | Promise<void>;
}

export interface E2eSession {
  wb: Workbench;
  page: Page;
  server: VsCodeServer;
  workspace: string;
  artifacts: string;
  /**
   * A subtest that screenshots its end state; after a failed step the later
   * ones are skipped instead of piling up follow-on failures, unless
   * `evenAfterFailure` (e.g. tearing down the real lab) runs it anyway.
   */
  step(name: string, fn: (t: TestContext) => Promise<void>, options?: { evenAfterFailure?: boolean }): Promise<void>;
}

export async function openE2eSession(t: TestContext, options: E2eSessionOptions): Promise<E2eSession> {
  const artifacts = e2eArtifactsDir(options.name);
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), `policy-studio-e2e-${options.name}-`));
  fs.cpSync(path.join(REPO_ROOT, 'examples'), workspace, { recursive: true });
  for (const dir of options.repoDirs ?? []) fs.cpSync(path.join(REPO_ROOT, dir), path.join(workspace, dir), { recursive: true });
  for (const [file, content] of Object.entries(options.files ?? {})) {
    fs.mkdirSync(path.dirname(path.join(workspace, file)), { recursive: true });
    fs.writeFileSync(path.join(workspace, file), content);
  }
  fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify({
    'policyStudio.labName': options.lab,
    // The web workbench auto-saves by default; scenario edits must stay in memory so Revert undoes them.
    'files.autoSave': 'off',
    ...options.settings,
  }, null, 2));
  // node:test runs a test's after hooks in the order they were registered (Node 20), so this
  // one runs before the server is stopped: the same order the scenarios had before this helper.
  t.after(async () => {
    await options.beforeLabCleanup?.();
    for (const what of await removeLabLeftovers(options.lab)) console.error(`e2e: removed leftover ${what}`);
    await options.afterLabCleanup?.();
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  const server = await startVsCodeServer({
    extension: extensionUnderTest(), logFile: path.join(artifacts, 'server.log'), ...(options.serverEnv ? { env: options.serverEnv } : {}),
  });
  t.after(() => server.stop());
  const wb = await openWorkbench(server.url, workspace, undefined, { artifactsDir: artifacts });
  t.after(() => wb.close());

  let failedStep: string | undefined;
  const step = async (name: string, fn: (t: TestContext) => Promise<void>, stepOptions: { evenAfterFailure?: boolean } = {}): Promise<void> => {
    if (stepOptions.evenAfterFailure) failedStep = undefined;
    await t.test(name, { skip: failedStep ? `${FOLLOW_ON_SKIP_REASON} "${failedStep}"` : false }, async (st) => {
      try {
        await fn(st);
        await wb.screenshot(name);
      } catch (err) {
        failedStep = name;
        await wb.screenshot(`FAILED ${name}`).catch(() => undefined);
        throw err;
      }
    });
  };
  return { wb, page: wb.page, server, workspace, artifacts, step };
}

/** Policy Studio: Probe through the palette, both quick picks and the input box; waits for the verdict's notification. */
export async function probeFromUi(wb: Workbench, from: string, to: string, portSpec: string, verdict: RegExp): Promise<void> {
  await wb.runCommand('Policy Studio: Probe');
  await wb.pickQuickItem(from);
  // The destination pick is a new quick pick: pickQuickItem waits for it to be open and empty.
  await wb.pickQuickItem(to);
  await wb.answerInputBox(portSpec);
  await wb.page.locator('.notifications-toasts .notification-list-item', { hasText: verdict }).first().waitFor({ timeout: 60_000 });
}

/** Policy Studio: Tear Down Lab from the palette; fails unless every namespace of the lab is gone within a minute. */
export async function tearDownLabFromUi(wb: Workbench, lab: string): Promise<void> {
  await wb.runCommand('Policy Studio: Tear Down Lab');
  const deadline = Date.now() + 60_000;
  while (labNamespaces(lab).length > 0 && Date.now() < deadline) await wb.page.waitForTimeout(500);
  assert.deepEqual(labNamespaces(lab), [], `no namespace of lab ${lab} is left`);
}
