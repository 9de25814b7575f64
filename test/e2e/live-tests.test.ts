/**
 * The Test Explorer's Live profile as a user runs it: in the Testing view,
 * right-click the example's file, Execute Using Profile… → Live (probes in the
 * lab). With no lab yet the run deploys the workspace first, then probes each
 * expect on real packets. The example carries one wrong expect, so the tree
 * must show both outcomes: a failed icon on that expect, passed ones on the
 * rest, and the failure message at the line. Screenshots go to
 * test-results/e2e/live-tests/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openE2eSession, tearDownLabFromUi } from '../harness/e2e-session';
import { labNamespaces } from '../harness/lab-cleanup';
import { REPO_ROOT } from '../harness/vscode-server';

const LAB = `liv${process.pid % 100_000}`;
const EXAMPLE = fs.readFileSync(path.join(REPO_ROOT, 'examples', 'shop.policy'), 'utf8');
// The default deny of db-ingress drops this packet: claiming it is allowed must fail live.
const RIGHT = 'expect frontend -> db:5432/tcp denied';
const WRONG = 'frontend -> db:5432/tcp allowed';

test('the Live profile runs the example\'s expects as real probes and shows each result', { timeout: 600_000 }, async (t) => {
  assert.ok(EXAMPLE.includes(RIGHT), 'the example still has the expect this test turns wrong');
  const expectCount = EXAMPLE.split('\n').filter((l) => /^\s*expect\s/.test(l)).length;
  const { wb, page, step } = await openE2eSession(t, {
    name: 'live-tests', lab: LAB,
    files: { 'shop.policy': EXAMPLE.replace(RIGHT, `expect ${WRONG}`) },
  });
  const explorer = page.locator('.test-explorer');
  const row = (label: string) => explorer.locator('.monaco-list-row', { hasText: label }).first();

  await step('the Testing view lists shop.policy', async () => {
    await wb.openFile('shop.policy');
    await wb.statusBarItem('status.editor.mode').filter({ hasText: 'Policy' }).waitFor({ timeout: 30_000 });
    await wb.runCommand('Testing: Focus on Test Explorer View');
    await row('shop.policy').waitFor({ timeout: 60_000 });
  });

  await step('Execute Using Profile… → Live deploys the lab and probes every expect', async () => {
    await row('shop.policy').click({ button: 'right' });
    // The menu takes a pointer-up this soon after opening for the right-click's own: focus the entry, then Enter.
    await page.locator('.context-view .action-label', { hasText: 'Execute Using Profile...' }).first().hover();
    await page.locator('.context-view .action-item.focused', { hasText: 'Execute Using Profile...' }).first().waitFor({ timeout: 5_000 });
    await page.keyboard.press('Enter');
    await wb.pickQuickItem('Live (probes in the lab)');
    // The live run deploys first (no lab yet): the tree fills in once the probes ran.
    await explorer.locator('.monaco-list-row .codicon-testing-failed-icon').first().waitFor({ timeout: 300_000 });
    assert.ok(labNamespaces(LAB).length >= 4, `the live run deployed lab ${LAB}`);
  });

  await step('the wrong expect failed, every other one passed', async () => {
    // Expand the file so each expect has its own row.
    const file = row('shop.policy');
    if ((await file.getAttribute('aria-expanded')) === 'false') await file.locator('.monaco-tl-twistie').click();
    const expectRows = explorer.locator('.monaco-list-row[aria-level="2"]');
    await page.waitForFunction((n) => document.querySelectorAll('.test-explorer .monaco-list-row[aria-level="2"]').length >= n, expectCount, { timeout: 15_000 });
    // The file's row turns failed with its first failed child: wait until every expect has its result.
    await page.waitForFunction((n) => document.querySelectorAll('.test-explorer .monaco-list-row[aria-level="2"]:is(:has(.codicon-testing-failed-icon), :has(.codicon-testing-passed-icon))').length >= n, expectCount, { timeout: 120_000 });
    const failed = explorer.locator('.monaco-list-row[aria-level="2"]:has(.codicon-testing-failed-icon)');
    const passed = explorer.locator('.monaco-list-row[aria-level="2"]:has(.codicon-testing-passed-icon)');
    assert.equal(await expectRows.count(), expectCount, 'one row per expect of shop.policy');
    assert.equal(await failed.count(), 1, 'exactly one expect failed');
    assert.match((await failed.first().textContent()) ?? '', /frontend -> db:5432\/tcp allowed/);
    assert.equal(await passed.count(), expectCount - 1, 'every other expect passed on real packets');
    await wb.screenshot('testing-view-live-results');
  });

  await step('the failure is shown at the expect line, saying what the real packet met', async () => {
    await explorer.locator('.monaco-list-row[aria-level="2"]:has(.codicon-testing-failed-icon)').first().dblclick();
    // The test peek in the editor carries the run's message.
    const peek = page.locator('.editor-instance .peekview-widget, .editor-instance .test-output-peek');
    await peek.filter({ hasText: /Expected allowed/ }).first().waitFor({ timeout: 30_000 });
    assert.match((await peek.first().textContent()) ?? '', /denied/);
    // The Test Results view names the run by its profile: these results are the live run's, not the evaluator's.
    await page.locator('.pane-body', { hasText: 'expects (live)' }).first().waitFor({ timeout: 15_000 });
    await wb.screenshot('failure-peek');
  });

  await step('tear down the lab', async () => {
    await tearDownLabFromUi(wb, LAB);
  }, { evenAfterFailure: true });
});
