/**
 * The datapath webviews in a real VS Code, as a user drives them, in one
 * session and one lab: deploy the example (with its own copy of bpf/ in the
 * workspace, named by policyStudio.datapathPath), make real traffic, filter the flows view down to the drops,
 * find the policy's rule decoded in the maps view and follow its link to the
 * line, then break bpf/ on purpose and see clang's error in Problems at the
 * right line and in the verifier-log view. Screenshots in
 * test-results/e2e/webview-datapath/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openE2eSession, probeFromUi, tearDownLabFromUi } from '../harness/e2e-session';
import { labNamespaces } from '../harness/lab-cleanup';
import { webviewWith } from '../harness/webviews';

/** Lab name for this file only (`wv<pid>`, at most 8 characters). */
const LAB = `wv${process.pid % 100_000}`;

function lineOf(file: string, pattern: RegExp): number {
  const index = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => pattern.test(l));
  assert.ok(index >= 0, `${file} has a line matching ${pattern}`);
  return index + 1;
}

test('flows filter, maps decoded, a broken bpf/ in Problems', { timeout: 900_000 }, async (t) => {
  const { wb, page, workspace, step } = await openE2eSession(t, { name: 'webview-datapath', lab: LAB, repoDirs: ['bpf'],
    // The workspace's own copy of the datapath, as a user hacking on it would set it.
    settings: { 'policyStudio.datapathPath': 'bpf' } });
  const probe = (from: string, to: string, port: string, verdict: RegExp): Promise<void> => probeFromUi(wb, from, to, port, verdict);

  await step('deploy the example with the workspace\'s bpf/', async () => {
    await wb.openFile('shop.policy');
    await wb.runCommand('Policy Studio: Deploy');
    await wb.statusBarItem('policyStudio.status').filter({ hasText: /deployed/i }).waitFor({ timeout: 240_000 });
    assert.ok(labNamespaces(LAB).length >= 4, `lab ${LAB} is up`);
  });

  await step('traffic: one allowed and one denied connection', async () => {
    await probe('frontend', 'backend', '8080/tcp', /8080.*allowed/);
    await probe('frontend', 'db', '5432/tcp', /5432.*denied/);
  });

  await step('the flows view filters down to the drops to db', async () => {
    await wb.runCommand('Policy Studio: Show Flows');
    const flows = await webviewWith(wb, '.flow-row');
    const rows = flows.locator('.flow-row:not([hidden])');
    await flows.locator('.flow-row[data-verdict="forwarded"][data-port="8080"]').first().waitFor({ timeout: 60_000 });
    await flows.locator('.flow-row[data-verdict="dropped"][data-port="5432"]').first().waitFor({ timeout: 60_000 });
    const before = await rows.count();
    await wb.screenshot('flows unfiltered');
    await flows.locator('#filter input').fill('verdict:dropped to:db');
    await flows.locator('.flow-row[data-verdict="forwarded"]:not([hidden])').first().waitFor({ state: 'detached', timeout: 10_000 })
      .catch(async () => assert.equal(await flows.locator('.flow-row[data-verdict="forwarded"]:not([hidden])').count(), 0, 'no forwarded row is shown'));
    const after = await rows.count();
    assert.ok(after > 0 && after < before, `the filter keeps some rows and hides others (${before} → ${after})`);
    for (let i = 0; i < after; i++) {
      const row = rows.nth(i);
      assert.equal(await row.getAttribute('data-verdict'), 'dropped');
      assert.match((await row.getAttribute('data-dst')) ?? '', /(^|\/)db$/);
    }
    await flows.locator('#count').filter({ hasText: /shown of/ }).waitFor();
    await rows.first().click();
    await flows.locator('#details .summary').filter({ hasText: 'dropped' }).waitFor({ timeout: 10_000 });
    await flows.locator('#details').filter({ hasText: 'app=db' }).waitFor({ timeout: 10_000 });
    // The interface the datapath saw the drop on: delivered directly, the sender's host-side veth, i.e. the peer of a frontend's eth0.
    const shown = Number(/ifindex (\d+)/.exec(await flows.locator('#flow-interface').innerText())?.[1]);
    const frontendVeths = labNamespaces(LAB).filter((ns) => ns.includes('-frontend-')).map((ns) =>
      (JSON.parse(execFileSync('ip', ['-j', '-n', ns, 'link', 'show', 'dev', 'eth0'], { encoding: 'utf8' })) as { link_index: number }[])[0]!.link_index);
    assert.ok(frontendVeths.includes(shown), `the details name a frontend's host veth (ifindex ${shown}; frontends' veths: ${frontendVeths.join(', ')})`);
  });

  const ruleLine = lineOf(path.join(workspace, 'shop.policy'), /allow from app == "backend" to port 5432\/tcp/);
  await step('the maps view shows the policy entry decoded and links to its rule', async () => {
    await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
    await wb.runCommand('Policy Studio: Show Datapath Maps');
    const maps = await webviewWith(wb, '#map-list');
    await maps.locator('.map-item').first().waitFor({ timeout: 30_000 });
    const rule = 'allow from app == "backend" to port 5432/tcp';
    const link = maps.locator('.map-entry .rule-link', { hasText: rule });
    await link.first().waitFor({ timeout: 30_000 });
    // The entry's remote identity is decoded with its label set (backend's).
    const entry = maps.locator('.map-entry', { has: maps.locator('.rule-link', { hasText: rule }) }).first();
    assert.match(await entry.innerText(), /app=backend/);
    await maps.locator('#search input').fill('5432');
    await wb.screenshot('maps search 5432');
    await link.first().click();
    await page.locator('.tabs-container .tab.active', { hasText: 'shop.policy' }).waitFor({ timeout: 15_000 });
    await wb.statusBarItem('status.editor.selection').filter({ hasText: `Ln ${ruleLine},` }).waitFor({ timeout: 15_000 });
  });

  const source = path.join(workspace, 'bpf', 'bpf_lxc.c');
  await step('a broken bpf/ shows clang\'s error in Problems at its line', async () => {
    const lines = fs.readFileSync(source, 'utf8').split('\n');
    // Inside the first function body: the line after the first line that opens one at column 0.
    const open = lines.findIndex((l) => /^\{\s*$/.test(l) || /^[a-z].*\)\s*\{\s*$/.test(l));
    assert.ok(open >= 0, 'bpf_lxc.c has a function');
    lines.splice(open + 1, 0, '\tint policy_studio_broken = ;');
    const brokenLine = open + 2;
    fs.writeFileSync(source, lines.join('\n'));
    await wb.runCommand('Policy Studio: Build Datapath');
    await wb.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
    const row = page.locator('.markers-panel .monaco-list-row', { hasText: 'expected expression' }).first();
    await row.waitFor({ timeout: 180_000 });
    const text = (await row.getAttribute('aria-label')) ?? (await row.innerText());
    assert.match(text, new RegExp(`\\b${brokenLine}\\b`), `the problem is on line ${brokenLine}: ${text}`);
    await page.locator('.markers-panel .monaco-list-row', { hasText: 'bpf_lxc.c' }).first().waitFor();
    const verifier = await webviewWith(wb, '.outcome.failed');
    await verifier.locator('.diagnostic.error .source-link', { hasText: `bpf_lxc.c:${brokenLine}` }).first().waitFor({ timeout: 15_000 });
  });

  await step('fixing it clears the problem and the verifier log lists the programs', async () => {
    const lines = fs.readFileSync(source, 'utf8').split('\n').filter((l) => !l.includes('policy_studio_broken'));
    fs.writeFileSync(source, lines.join('\n'));
    await wb.runCommand('Policy Studio: Build Datapath');
    const verifier = await webviewWith(wb, '.outcome.ok', 180_000);
    await verifier.locator('tr.program').first().waitFor({ timeout: 15_000 });
    await page.locator('.markers-panel .monaco-list-row', { hasText: 'expected expression' }).first().waitFor({ state: 'detached', timeout: 30_000 });
  });

  await step('tear down the lab', async () => {
    await tearDownLabFromUi(wb, LAB);
  }, { evenAfterFailure: true });
});
