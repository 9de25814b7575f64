/**
 * The editor experience in a real VS Code, as a user drives it: the expect
 * lines run from the Test Explorer (a failing one shown at its line with the
 * deciding rule), deploy, the Lab view lists the workloads, a denied probe
 * makes the db policy's `select` line count a default-deny drop and an
 * allowed probe the allow rule's count, the CodeLens opens Explain Drop, and
 * the service map draws the dropped edge. Screenshots in test-results/e2e/editor-experience/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openE2eSession, probeFromUi, tearDownLabFromUi } from '../harness/e2e-session';
import { labNamespaces } from '../harness/lab-cleanup';

/** This file's own lab (≤ 8 characters), never the user's nor another test file's. */
const LAB = `ed${process.pid % 1_000_000}`;

test('rule counts, Test Explorer, Lab view, Explain Drop and service map', { timeout: 600_000 }, async (t) => {
  const { wb, page, workspace, step } = await openE2eSession(t, {
    name: 'editor-experience', lab: LAB,
    settings: { 'testing.automaticallyOpenPeekView': 'failureAnywhere' },
    // An expectation the policy contradicts, in its own file so shop.policy stays as shipped.
    files: { 'contradicted.policy': 'expect backend -> frontend:8080/tcp denied\n' },
  });
  const lens = (text: string | RegExp) => page.locator('.editor-instance .monaco-editor .codelens-decoration', { hasText: text });

  await step('open shop.policy: every rule shows its counts', async () => {
    await wb.openFile('shop.policy');
    await wb.statusBarItem('status.editor.mode').filter({ hasText: 'Policy' }).waitFor({ timeout: 30_000 });
    await lens(/0 allowed · .*0 denied/).first().waitFor({ timeout: 60_000 });
    await lens(/0 default-deny drops/).first().waitFor({ timeout: 10_000 });
  });

  await step('Test Explorer: the expects run statically and a failing one is shown at its line', async () => {
    await wb.runCommand('Test: Run All Tests');
    const peek = page.locator('.monaco-editor .peekview-widget', { hasText: /Expected denied, but allowed/ });
    await peek.first().waitFor({ timeout: 60_000 });
    await wb.screenshot('failure-peek-at-the-expect-line');
    await page.keyboard.press('Escape');
    await wb.runCommand('View: Show Testing');
    await page.locator('.test-explorer .monaco-list-row', { hasText: 'contradicted.policy' }).first().waitFor({ timeout: 30_000 });
    // The view's summary: passed/total over every expect of the workspace; only the contradicted one fails.
    const summary = (await page.getByText(/^\d+\/\d+$/).first().textContent()) ?? '';
    const [passed, total] = summary.split('/').map(Number);
    assert.ok(total >= 7, `every expect is a test (${summary})`);
    assert.equal(passed, total - 1, `all but the contradicted expect pass (${summary})`);
    await wb.screenshot('test-explorer-results');
    // Back to shop.policy, every region unfolded so every lens is on screen.
    await wb.openFile('shop.policy');
    await wb.runCommand('Unfold All');
  });

  await step('deploy; the Lab view lists the workloads with addresses', async () => {
    await wb.runCommand('Policy Studio: Deploy');
    await wb.statusBarItem('policyStudio.status').filter({ hasText: /deployed/i }).waitFor({ timeout: 240_000 });
    assert.ok(labNamespaces(LAB).length >= 4, `lab ${LAB} exists`);
    await wb.runCommand('Policy Studio: Focus on Lab View');
    const tree = page.locator('.pane-body .monaco-list-row');
    for (const w of ['default/frontend', 'default/backend', 'default/db']) {
      await tree.filter({ hasText: w }).first().waitFor({ timeout: 30_000 });
    }
    assert.match((await tree.filter({ hasText: 'default/db' }).first().textContent()) ?? '', /10\.244\.\d+\.\d+/);
  });

  await step('a denied probe raises the select line\'s default-deny count', async () => {
    await probeFromUi(wb, 'frontend', 'db', '5432/tcp', /5432.*denied/);
    // Quick Open can lose its keys to a notification toast taking focus: retry until shop.policy is the active tab.
    for (let attempt = 1; ; attempt++) {
      await page.keyboard.press('Escape');
      try {
        await wb.openFile('shop.policy'); // waits for shop.policy to be the active tab
        break;
      } catch (err) {
        if (attempt === 3) throw err;
      }
    }
    await wb.runCommand('Unfold All');
    // Monaco renders only the lines on screen: bring db-ingress's select line (and its rules) into view.
    const selectLine = fs.readFileSync(path.join(workspace, 'shop.policy'), 'utf8').split('\n').findIndex((l) => /^\s*select\s+app\s*==\s*"db"/.test(l)) + 1;
    await page.keyboard.press('Control+G');
    await wb.quickInput.waitFor({ state: 'visible' });
    await page.keyboard.type(String(selectLine + 2));
    await page.keyboard.press('Enter');
    await lens(/\b[1-9]\d* default-deny drops?/).first().waitFor({ timeout: 30_000 });
  });

  await step('an allowed probe raises the allow rule\'s count', async () => {
    await probeFromUi(wb, 'backend', 'db', '5432/tcp', /5432.*allowed/);
    await lens(/\b[1-9]\d* allowed · .*0 denied/).first().waitFor({ timeout: 30_000 });
  });

  await step('the count opens Explain Drop, in plain words', async () => {
    await lens(/\b[1-9]\d* default-deny drops?/).locator('a').first().click();
    const explain = wb.webviewFrame();
    await explain.locator('#summary', { hasText: /at the ingress of default\/db: dropped \(Policy denied, 133\)/ }).waitFor({ timeout: 30_000 });
    await explain.locator('#reveal').waitFor({ timeout: 10_000 });
    await explain.locator('vscode-button#fix').waitFor({ timeout: 10_000 });
    const text = (await explain.locator('body').textContent()) ?? '';
    assert.match(text, /db-ingress selects default\/db for ingress/);
    assert.match(text, /app=frontend/);
  });

  await step('the service map draws the dropped and the forwarded edge', async () => {
    await wb.runCommand('Policy Studio: Show Service Map');
    // The Service Map tab is the visible webview of its group (Explain Drop's tab behind it is hidden).
    const map = wb.webviewFrame();
    // frontend → db: forwarded by frontend's egress (default allow), dropped at db's ingress — a dropped or mixed edge.
    await map.locator('g.edge.dropped, g.edge.mixed').first().waitFor({ timeout: 30_000 });
    await map.locator('g.edge.forwarded').first().waitFor({ timeout: 10_000 });
    assert.ok(await map.locator('g.node').count() >= 3, 'a node per workload');
  });

  await step('clicking the dropped edge opens the flows filtered to that pair', async () => {
    const map = wb.webviewFrame();
    await map.locator('g.edge.dropped path.hit, g.edge.mixed path.hit').first().click({ force: true });
    // The flows view opens beside the map with the edge's filter in its field.
    const deadline = Date.now() + 30_000;
    let rows: { src: string | null; dst: string | null }[] = [];
    let filter = '';
    while (Date.now() < deadline) {
      const outers = page.locator('iframe.webview.ready');
      for (let i = 0; i < await outers.count(); i++) {
        const frame = outers.nth(i).contentFrame().locator('#active-frame').contentFrame();
        if (!(await frame.locator('#filter').count().catch(() => 0))) continue;
        filter = await frame.locator('#filter').evaluate((el) => (el as HTMLInputElement).value).catch(() => '');
        rows = await frame.locator('.flow-row:not([hidden])').evaluateAll((els) => els.map((e) => ({ src: e.getAttribute('data-src'), dst: e.getAttribute('data-dst') })));
      }
      if (filter && rows.length) break;
      await page.waitForTimeout(300);
    }
    assert.match(filter, /from:\S*frontend to:\S*db/, `the flows filter is the edge's pair (got "${filter}")`);
    assert.ok(rows.length > 0, 'some flows of the pair are shown');
    for (const r of rows) assert.deepEqual([r.src?.replace(/^default\//, ''), r.dst?.replace(/^default\//, '')], ['frontend', 'db'], 'only frontend → db flows remain');
  });

  await step('tear down the lab', async () => {
    await tearDownLabFromUi(wb, LAB);
  }, { evenAfterFailure: true });
});
