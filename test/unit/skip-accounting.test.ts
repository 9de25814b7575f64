/**
 * scripts/test.sh's skip accounting on a real node:test run: every skipped
 * and todo test is found by its full name with its reason, the count agrees
 * with the TAP file's own, and the allow-list check says which are covered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { allowedBy, FOLLOW_ON_SKIP_REASON, formatSkips, parseAllowList, parseSkips, skippedInTap } from '../harness/skipped-tests';

const root = path.resolve(__dirname, '../..');

// A layer in miniature: passing, skipped (with and without a reason), todo, a skip
// inside a parent (the e2e harness's follow-on steps) and names the TAP reporter escapes.
const FIXTURE = `
const { test } = require('node:test');
test('runs', () => {});
test('needs a tool', { skip: 'iperf3 missing' }, () => {});
test('bare skip', { skip: true }, () => {});
test('not written yet', { todo: 'waits for L7' }, () => {});
test('scenario', async (t) => {
  await t.test('step one', () => {});
  await t.test('step two', { skip: 'after failed step "step one"' }, () => {});
});
test('a # in the name \\\\ and a backslash', { skip: 'reason with # too' }, () => {});
`;

function tapOfFixture(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skip-accounting-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'fixture.test.js');
  fs.writeFileSync(file, FIXTURE);
  // Without NODE_TEST_CONTEXT: set by the runner around us, it would make the child report to it instead of printing TAP.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const run = spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], { encoding: 'utf8', timeout: 60_000, env });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
}

const tapCount = (tap: string, key: string): number => Number(/^# (\w+) (\d+)$/m.exec(tap.split('\n').filter((l) => l.startsWith(`# ${key} `)).at(-1) ?? '')?.[2]);

test('every skipped and todo test of a TAP file, by full name and reason, as many as the TAP counts', (t) => {
  const tap = tapOfFixture(t);
  const skips = skippedInTap(tap);
  assert.deepEqual(skips, [
    { kind: 'skip', name: 'needs a tool', reason: 'iperf3 missing' },
    { kind: 'skip', name: 'bare skip', reason: '' },
    { kind: 'todo', name: 'not written yet', reason: 'waits for L7' },
    { kind: 'skip', name: 'scenario > step two', reason: 'after failed step "step one"' },
    { kind: 'skip', name: 'a # in the name \\ and a backslash', reason: 'reason with # too' },
  ]);
  assert.equal(skips.length, tapCount(tap, 'skipped') + tapCount(tap, 'todo'));
  assert.equal(tapCount(tap, 'pass'), 3, 'runs, scenario and step one passed; skips are not passes');
});

test('the allow-list covers a name by pattern and refuses an entry without a reason', () => {
  const list = parseAllowList('# comment\n\nscenario > * | follow-on steps of a failed e2e step\nneeds a tool|  installed only on big runners \n');
  assert.deepEqual(list.map((e) => [e.pattern, e.reason]), [['scenario > *', 'follow-on steps of a failed e2e step'], ['needs a tool', 'installed only on big runners']]);
  const skip = (name: string) => ({ kind: 'skip' as const, name, reason: '' });
  assert.equal(allowedBy(skip('scenario > step two'), list)?.pattern, 'scenario > *');
  assert.equal(allowedBy(skip('needs a tool'), list)?.pattern, 'needs a tool');
  assert.equal(allowedBy(skip('needs a tool too'), list), undefined, 'a pattern covers the whole name');
  assert.equal(allowedBy(skip('scenario'), list), undefined);
  assert.equal(allowedBy(skip('a (b) [c]'), parseAllowList('a (b) [c] | regex characters are literal'))?.pattern, 'a (b) [c]');
  assert.throws(() => parseAllowList('needs a tool\n'), /line 1: expected "<test name pattern> \| <reason>"/);
  assert.throws(() => parseAllowList('\nneeds a tool |  \n'), /line 2/);
});

test('skip-report.ts, as scripts/test.sh runs it: from-tap writes and counts, check lists by name and counts the ones not allowed', (t) => {
  const tap = tapOfFixture(t);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skip-report-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'unit.tap'), tap);
  fs.writeFileSync(path.join(dir, 'allow.txt'), 'scenario > * | follow-on steps\nbare skip | a bare skip\n');
  fs.writeFileSync(path.join(dir, 'integration.skips'), formatSkips([{ kind: 'skip', name: 'suite > pending one', reason: 'pending in mocha' }]));
  fs.writeFileSync(path.join(dir, 'e2e.skips'), formatSkips([{ kind: 'skip', name: 'ui > later step', reason: `${FOLLOW_ON_SKIP_REASON} "deploy"` }]));
  const report = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'test/harness/skip-report.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

  const fromTap = report('from-tap', path.join(dir, 'unit.tap'), path.join(dir, 'unit.skips'));
  assert.equal(fromTap.status, 0, fromTap.stderr);
  assert.equal(fromTap.stdout, '5\n');
  assert.deepEqual(parseSkips(fs.readFileSync(path.join(dir, 'unit.skips'), 'utf8')), skippedInTap(tap));

  const check = report('check', path.join(dir, 'allow.txt'), `unit=${path.join(dir, 'unit.skips')}`, `integration=${path.join(dir, 'integration.skips')}`, `e2e=${path.join(dir, 'e2e.skips')}`, `kernel=${path.join(dir, 'absent.skips')}`);
  assert.equal(check.status, 0, check.stderr);
  assert.equal(check.stdout, 'unit 5 3\nintegration 1 1\ne2e 1 0\nkernel 0 0\n', 'a step skipped after a failed one is not a failure of its own');
  assert.match(check.stderr, /SKIP ui > later step: after failed step "deploy" {2}\[follows a failed step\]/);
  assert.match(check.stderr, /SKIP needs a tool: iperf3 missing {2}\[NOT in the allow-list\]/);
  assert.match(check.stderr, /SKIP scenario > step two: after failed step "step one" {2}\[allow-listed: follow-on steps\]/);
  assert.match(check.stderr, /TODO not written yet: waits for L7/);
  assert.match(check.stderr, /integration +SKIP suite > pending one/);
});
