/**
 * What users run: `policy-studio test FILE --live` (bin/policy-studio.js →
 * dist/cli.js) as a subprocess, on the example and on a copy with one wrong
 * expect. Asserts what a user and CI see: the exit code, the failing expect
 * named by file:line, the closing `N passed, N failed` line, and that the CLI
 * took its lab down again. Whatever happens, the lab's leftovers are removed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { labNamespaces, removeLabLeftovers } from '../harness/lab-cleanup';
import { REPO_ROOT, uniqueLab } from './support/agent-under-test';

const CLI = path.join(REPO_ROOT, 'bin/policy-studio.js');
const EXAMPLE = path.join(REPO_ROOT, 'examples/shop.policy');

interface CliRun { code: number | null; stdout: string; stderr: string }

function runCli(args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    // SIGTERM is the CLI's own way to tear its lab down; a CLI that does not end then is killed (its agent
    // ends with its stdin), and the cleanup after the test removes what the lab left.
    const term = setTimeout(() => child.kill('SIGTERM'), 150_000);
    const kill = setTimeout(() => child.kill('SIGKILL'), 170_000);
    child.once('error', reject);
    child.once('exit', (code) => { clearTimeout(term); clearTimeout(kill); resolve({ code, stdout, stderr }); });
  });
}

/** The 1-based line numbers of a file's `expect` lines. */
function expectLines(text: string): number[] {
  return text.split('\n').flatMap((line, i) => (/^\s*expect\s/.test(line) ? [i + 1] : []));
}

const lastLine = (out: string): string => out.trimEnd().split('\n').at(-1) ?? '';

test('policy-studio test --live, as users run it', async (t) => {
  assert.ok(fs.existsSync(path.join(REPO_ROOT, 'dist/cli.js')), 'dist/cli.js is built (npm run build)');
  const lab = uniqueLab('cli');
  t.after(async () => { await removeLabLeftovers(lab); });
  const example = fs.readFileSync(EXAMPLE, 'utf8');
  const expects = expectLines(example);
  assert.ok(expects.length >= 5, 'the example has expects to run');

  await t.test('the example: every expect holds, exit 0', async () => {
    const run = await runCli(['test', EXAMPLE, '--live', '--lab', lab]);
    const detail = `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
    assert.equal(run.code, 0, detail);
    assert.equal(lastLine(run.stdout), `${expects.length} passed, 0 failed`, detail);
    for (const line of expects) assert.match(run.stdout, new RegExp(`^PASS ${escape(EXAMPLE)}:${line} expect `, 'm'), detail);
    assert.deepEqual(labNamespaces(lab), [], 'the CLI tore its lab down');
  });

  await t.test('one wrong expect: named by file:line, the others pass, exit 1', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ps-cli-live-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    // The default deny of db-ingress drops this; claiming it is allowed must fail on the real packet.
    const wrong = 'expect frontend -> db:5432/tcp denied';
    assert.ok(example.includes(wrong), 'the example still has the expect this test turns wrong');
    const copy = path.join(dir, 'shop.policy');
    fs.writeFileSync(copy, example.replace(wrong, 'expect frontend -> db:5432/tcp allowed'));
    const wrongLine = example.slice(0, example.indexOf(wrong)).split('\n').length;

    const run = await runCli(['test', copy, '--live', '--lab', lab]);
    const detail = `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
    assert.equal(run.code, 1, detail);
    assert.equal(lastLine(run.stdout), `${expects.length - 1} passed, 1 failed`, detail);
    const failing = run.stdout.split('\n').filter((l) => l.startsWith('FAIL '));
    assert.equal(failing.length, 1, detail);
    assert.ok(failing[0].startsWith(`FAIL ${copy}:${wrongLine} expect frontend -> db:5432/tcp allowed`), failing[0]);
    assert.match(failing[0], /got denied/, 'the real verdict is named');
    assert.deepEqual(labNamespaces(lab), [], 'the CLI tore its lab down');
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
