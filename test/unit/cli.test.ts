/** The `policy-studio` CLI as a user runs it: a real process, real files, exit codes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function tempPolicy(t: { after: (fn: () => void) => void }, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-cli-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'case.policy');
  fs.writeFileSync(file, text);
  return file;
}

test('test: the example passes statically, one line per expect and a summary', () => {
  const { code, stdout } = cli('test', 'examples/shop.policy');
  const lines = stdout.trim().split('\n');
  const expects = fs.readFileSync(path.join(root, 'examples/shop.policy'), 'utf8').split('\n')
    .map((line, i) => ({ line: i + 1, text: line.replace(/\/\/.*$/, '').replace(/\s+/g, ' ').trim() }))
    .filter((l) => l.text.startsWith('expect '));
  assert.ok(expects.length >= 5);
  assert.deepEqual(lines.slice(0, -1), expects.map((e) => `PASS examples/shop.policy:${e.line} ${e.text}`));
  assert.equal(lines.at(-1), `${expects.length} passed, 0 failed`);
  assert.equal(code, 0);
});

test('test: a failing expect prints FAIL with the deciding policy and exits 1', (t) => {
  const file = tempPolicy(t, `workload a { labels { app: "a" } }
workload b { labels { app: "b" } }
policy b-in {
  select app == "b"
  ingress { allow from app == "a" port 80/tcp }
}
expect a -> b:80/tcp allowed
expect a -> b:81/tcp allowed
`);
  const { code, stdout } = cli('test', file);
  const lines = stdout.trim().split('\n');
  assert.equal(lines[0], `PASS ${file}:7 expect a -> b:80/tcp allowed`);
  assert.equal(lines[1], `FAIL ${file}:8 expect a -> b:81/tcp allowed — got denied by the default deny of policy default/b-in for ingress (${file}:4), no rule matches`);
  assert.equal(lines[2], '1 passed, 1 failed');
  assert.equal(code, 1);
});

test('test: compile errors are printed as file:line:col and exit 2', (t) => {
  const file = tempPolicy(t, 'workload a { }\nexpect a -> bb:80/tcp allowed\n');
  const { code, stderr, stdout } = cli('test', file);
  assert.equal(code, 2);
  assert.match(stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:13: error: Unknown workload 'bb'`));
  assert.equal(stdout, '');
});

test('check: exit 1 on errors, 0 on a clean file; trace explains a verdict', (t) => {
  const bad = tempPolicy(t, 'workload a { }\npolicy p { select app == "a" ingress { deny from cidr 10.0.0.0/40 } }\n');
  const checked = cli('check', bad);
  assert.equal(checked.code, 1);
  assert.match(checked.stdout, /:2:55: error: Invalid CIDR/);
  assert.equal(cli('check', 'examples/shop.policy').code, 0);

  const traced = cli('trace', 'examples/shop.policy', '--from', 'frontend', '--to', 'db:5432/tcp');
  assert.equal(traced.code, 0);
  assert.match(traced.stdout.split('\n')[0]!, /^denied by the default deny of policy default\/db-ingress for ingress \(examples\/shop\.policy:\d+\), no rule matches$/);
});

test('usage errors exit 2', () => {
  assert.equal(cli().code, 2);
  assert.equal(cli('frobnicate', 'x.policy').code, 2);
  assert.equal(cli('test', 'does-not-exist.policy').code, 2);
  assert.equal(cli('trace', 'examples/shop.policy', '--from', 'frontend', '--to', 'db').code, 2);
});
