/**
 * The UI scenario in a real VS Code, as a user drives it: open the
 * example, see a typo underlined, complete a label value, deploy to a real lab
 * on this machine, probe a denied connection, find the drop in the flows
 * webview, click it and land on the `select` line of the policy whose default
 * deny dropped it. Screenshots of every step go to test-results/e2e/drop-explained/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openE2eSession, probeFromUi, tearDownLabFromUi } from '../harness/e2e-session';
import { labNamespaces } from '../harness/lab-cleanup';
import { REPO_ROOT } from '../harness/vscode-server';

/** Lab name for this run only (`e2e<pid>`, at most 8 characters): never the user's (`studio`) nor a concurrent run's. */
const LAB = `e2e${process.pid % 100_000}`;
const EXAMPLE = path.join(REPO_ROOT, 'examples', 'shop.policy');

/** 1-based line of the first line matching `pattern` in the example as shipped. */
function exampleLine(pattern: RegExp): number {
  const lines = fs.readFileSync(EXAMPLE, 'utf8').split('\n');
  const index = lines.findIndex((l) => pattern.test(l));
  assert.ok(index >= 0, `examples/shop.policy has a line matching ${pattern}`);
  return index + 1;
}

/** Whether a data-src/data-dst value names the workload (`frontend` or `default/frontend`). */
function namesWorkload(value: string | null, workload: string): boolean {
  return value === workload || (value?.endsWith(`/${workload}`) ?? false);
}

test('a denied probe is explained at the policy line that caused it', { timeout: 600_000 }, async (t) => {
  const { wb, page, step } = await openE2eSession(t, { name: 'drop-explained', lab: LAB });
  const errorSquiggles = page.locator('.editor-instance .monaco-editor .squiggly-error');
  const goToLine = async (line: number): Promise<void> => {
    await page.keyboard.press('Control+G');
    await wb.quickInput.waitFor({ state: 'visible' });
    await page.keyboard.type(String(line));
    await page.keyboard.press('Enter');
    await wb.statusBarItem('status.editor.selection').filter({ hasText: `Ln ${line},` }).waitFor({ timeout: 10_000 });
  };

  await step('open shop.policy in the Policy language mode', async () => {
    await wb.openFile('shop.policy');
    await wb.statusBarItem('status.editor.mode').filter({ hasText: 'Policy' }).waitFor({ timeout: 30_000 });
  });

  await step('a typo in an expect line is underlined and listed in Problems', async () => {
    const line = exampleLine(/^expect\s+frontend\s+->\s+db\b/);
    await goToLine(line);
    await page.keyboard.press('Home');
    for (let i = 0; i < 'expect '.length; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.type('x'); // `xfrontend`: no such workload
    await errorSquiggles.first().waitFor({ timeout: 30_000 });
    await wb.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
    await page.locator('.markers-panel .monaco-list-row', { hasText: 'xfrontend' }).first().waitFor({ timeout: 15_000 });
    await wb.screenshot('typo-in-problems');
    await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
    await wb.runCommand('File: Revert File');
    await errorSquiggles.first().waitFor({ state: 'detached', timeout: 30_000 });
  });

  await step('completion inside app == " offers frontend', async () => {
    await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Enter');
    // One line, no Enter while a suggestion could be open; the editor may auto-close `{` and `"`.
    await page.keyboard.type('policy e2e-probe { select app == "');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Space');
    const suggestion = page.locator('.editor-widget.suggest-widget .monaco-list-row', { hasText: 'frontend' });
    await suggestion.first().waitFor({ timeout: 30_000 });
    await wb.screenshot('completion-offers-frontend');
    await page.keyboard.press('Escape');
    await wb.runCommand('File: Revert File');
  });

  await step('deploy to the local lab', async () => {
    await wb.runCommand('Policy Studio: Deploy');
    await wb.statusBarItem('policyStudio.status').filter({ hasText: /deployed/i }).waitFor({ timeout: 240_000 });
    assert.ok(labNamespaces(LAB).length >= 4, `lab ${LAB} has a namespace per endpoint plus the node`);
  });

  await step('probe frontend → db 5432/tcp is denied', async () => {
    await probeFromUi(wb, 'frontend', 'db', '5432/tcp', /5432.*denied/);
  });

  const selectLine = exampleLine(/^\s*select\s+app\s*==\s*"db"/);
  await step('the drop shows in the flows webview and reveals the db policy\'s select line', async () => {
    await wb.runCommand('Policy Studio: Show Flows');
    const flows = wb.webviewFrame();
    const dropped = flows.locator('.flow-row[data-verdict="dropped"][data-port="5432"]');
    await dropped.first().waitFor({ timeout: 60_000 });
    const count = await dropped.count();
    let target = -1;
    for (let i = 0; i < count && target < 0; i++) {
      const row = dropped.nth(i);
      if (namesWorkload(await row.getAttribute('data-src'), 'frontend') && namesWorkload(await row.getAttribute('data-dst'), 'db')) target = i;
    }
    assert.ok(target >= 0, 'a dropped frontend → db:5432 row is listed');
    await wb.screenshot('flows-webview');
    await dropped.nth(target).click();
    await page.locator('.tabs-container .tab.active', { hasText: 'shop.policy' }).waitFor({ timeout: 15_000 });
    const selection = wb.statusBarItem('status.editor.selection');
    await selection.filter({ hasText: `Ln ${selectLine},` }).waitFor({ timeout: 15_000 });
    assert.match((await selection.textContent()) ?? '', new RegExp(`Ln ${selectLine}, Col \\d+`));
  });

  // Always tear down, even after a failed step: the lab is real.
  await step('tear down the lab', async () => {
    await tearDownLabFromUi(wb, LAB);
  }, { evenAfterFailure: true });
});
