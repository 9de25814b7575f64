/**
 * The story "break bpf/ on purpose and see the verifier error in
 * Problems at the right line", with a real verifier rejection: the workspace
 * holds its own copy of the datapath (`my-datapath/`, named by
 * policyStudio.datapathPath, so the shipped bpf/ is not what gets built);
 * after a deploy, a stage program (tail_policy) gets a map lookup whose result
 * is dereferenced without a NULL check. clang compiles it, the kernel's
 * verifier refuses it. Build Datapath must then show the verifier's message
 * in Problems on the line of that copy the verifier's `; … @ bpf_lxc.c:NN`
 * annotation names, highlight the failing instruction in the verifier-log
 * view, and leave the previously loaded datapath enforcing (a denied probe
 * stays denied, an allowed one allowed). Screenshots in
 * test-results/e2e/verifier-rejection/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openE2eSession, probeFromUi, tearDownLabFromUi } from '../harness/e2e-session';
import { labNamespaces } from '../harness/lab-cleanup';
import { REPO_ROOT } from '../harness/vscode-server';
import { webviewWith } from '../harness/webviews';

/** Lab name for this file only (`vr<pid>`, at most 8 characters). */
const LAB = `vr${process.pid % 100_000}`;
const DATAPATH_DIR = 'my-datapath';
const MARKER = 'ps-broken-on-purpose';

/**
 * Inserts, right after tail_policy's scratch NULL check, a read through an
 * endpoint-map lookup nobody checked for NULL. Returns its 1-based line.
 */
function breakTailPolicy(file: string): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const start = lines.findIndex((l) => /^int tail_policy\(/.test(l));
  assert.ok(start >= 0, 'bpf_lxc.c defines the tail_policy stage');
  const check = lines.findIndex((l, i) => i > start && /return TC_ACT_SHOT;/.test(l));
  assert.ok(check > start, 'tail_policy checks its scratch pointer');
  lines.splice(check + 1, 0, `\tif (endpoint_lookup(skb->ifindex)->endpoint_id == 0x50534252) /* ${MARKER}: no NULL check */`, '\t\treturn TC_ACT_SHOT;');
  fs.writeFileSync(file, lines.join('\n'));
  return check + 2;
}

test('a datapath the verifier rejects: its error in Problems at the line, the failing instruction highlighted, the old datapath still enforcing', { timeout: 900_000 }, async (t) => {
  const { wb, page, workspace, step } = await openE2eSession(t, {
    name: 'verifier-rejection', lab: LAB, settings: { 'policyStudio.datapathPath': DATAPATH_DIR },
  });
  // The user's own copy of the datapath, under a name the extension would never guess.
  fs.cpSync(path.join(REPO_ROOT, 'bpf'), path.join(workspace, DATAPATH_DIR), { recursive: true });
  const source = path.join(workspace, DATAPATH_DIR, 'bpf_lxc.c');
  let brokenLine = 0;

  await step('deploy the example with the datapath from policyStudio.datapathPath', async () => {
    await wb.openFile('shop.policy');
    await wb.runCommand('Policy Studio: Deploy');
    await wb.statusBarItem('policyStudio.status').filter({ hasText: /deployed/i }).waitFor({ timeout: 240_000 });
    assert.ok(labNamespaces(LAB).length >= 4, `lab ${LAB} is up`);
    await probeFromUi(wb, 'frontend', 'db', '5432/tcp', /5432.*denied/);
  });

  await step('break a stage program: a map value dereferenced without a NULL check', async () => {
    brokenLine = breakTailPolicy(source);
    await wb.runCommand('Policy Studio: Build Datapath');
    await wb.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
    const row = page.locator('.markers-panel .monaco-list-row', { hasText: 'invalid mem access' }).first();
    await row.waitFor({ timeout: 180_000 });
    const text = (await row.getAttribute('aria-label')) ?? (await row.innerText());
    assert.match(text, /verifier: R\d invalid mem access 'map_value_or_null'/, `the verifier's own words: ${text}`);
    assert.match(text, new RegExp(`\\b${brokenLine}\\b`), `the problem is on line ${brokenLine}: ${text}`);
    // The problem belongs to the copy that was built, not to the extension's bpf/.
    const fileRow = page.locator('.markers-panel .monaco-list-row', { hasText: 'bpf_lxc.c' }).first();
    await fileRow.waitFor();
    assert.match((await fileRow.getAttribute('aria-label')) ?? (await fileRow.innerText()), new RegExp(DATAPATH_DIR));
  });

  await step('the verifier-log view highlights the failing instruction under the annotation of that line', async () => {
    const verifier = await webviewWith(wb, '.outcome.failed');
    await verifier.locator('.outcome.failed', { hasText: 'Rejected at load' }).waitFor({ timeout: 15_000 });
    const failing = verifier.locator('.log-line.failing-insn');
    assert.equal(await failing.count(), 1, 'exactly one instruction is marked as the failing one');
    assert.match(await failing.innerText(), /^\d+: \(61\) r\d = \*\(u32 \*\)\(r0 \+0\)/, 'the load through the unchecked pointer');
    await failing.scrollIntoViewIfNeeded();
    assert.ok(await failing.isVisible(), 'the failing instruction is on screen');
    // The annotation the verifier printed before that instruction is the inserted line, and it links there.
    const annotation = verifier.locator('.log-line.source', { hasText: MARKER }).last();
    await annotation.locator('.source-link', { hasText: `bpf_lxc.c:${brokenLine}` }).waitFor({ timeout: 10_000 });
    await verifier.locator('.log-line.error', { hasText: "invalid mem access 'map_value_or_null'" }).first().waitFor();
    await verifier.locator('.diagnostic.error .source-link', { hasText: `bpf_lxc.c:${brokenLine}` }).first().waitFor();
    await wb.screenshot('verifier log: failing instruction');
  });

  await step('the Problems entry opens the copy at that line', async () => {
    await wb.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
    await page.locator('.markers-panel .monaco-list-row', { hasText: 'invalid mem access' }).first().dblclick();
    await page.locator('.tabs-container .tab.active', { hasText: 'bpf_lxc.c' }).waitFor({ timeout: 15_000 });
    await wb.statusBarItem('status.editor.selection').filter({ hasText: `Ln ${brokenLine},` }).waitFor({ timeout: 15_000 });
    await page.locator('.editor-instance .view-line', { hasText: MARKER }).first().waitFor({ timeout: 10_000 });
  });

  await step('the previous datapath keeps enforcing', async () => {
    // The first step's verdict toast may still be up: only a fresh one counts.
    await wb.runCommand('Notifications: Clear All Notifications');
    await probeFromUi(wb, 'frontend', 'db', '5432/tcp', /5432.*denied/);
    await probeFromUi(wb, 'backend', 'db', '5432/tcp', /5432.*allowed/);
  });

  await step('tear down the lab', async () => {
    await tearDownLabFromUi(wb, LAB);
  }, { evenAfterFailure: true });
});
