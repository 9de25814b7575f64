/** `policy-studio check` and `trace` on the newer constructs: services, outside addresses, ICMP types, imports. */
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

test('check: every example is clean but for the HTTP rule the lab datapath does not enforce yet', () => {
  const files = fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.policy')).map((f) => `examples/${f}`);
  const { code, stdout } = cli('check', ...files);
  assert.deepEqual(stdout.trim().split('\n'), [
    'examples/platform.policy:25:48: warning: HTTP rules are not enforced by the lab datapath yet: the whole port is allowed.',
    '0 errors, 1 warning',
  ]);
  assert.equal(code, 0);
});

test('check: a failing expect is an error naming the deciding line; imports are followed', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-cli-depth-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'workloads.policy'), 'workload a { labels { app: "a" } }\nworkload b { labels { app: "b" } }\n');
  const main = path.join(dir, 'main.policy');
  fs.writeFileSync(main, 'import "workloads.policy"\npolicy b-in {\n  select app == "b"\n  ingress { allow from app == "a" to port 80/tcp }\n}\nexpect a -> b:81/tcp allowed\n');
  const { code, stdout } = cli('check', main);
  assert.deepEqual(stdout.trim().split('\n'), [
    `${main}:6:22: error: Expected allowed, but denied by the default deny of policy default/b-in for ingress (line 3), no rule matches.`,
    '1 error, 0 warnings',
  ]);
  assert.equal(code, 1);
});

test('trace: to a service, an outside address and an ICMP type, with file:line of the deciding rule', () => {
  const service = cli('trace', 'examples/platform.policy', '--from', 'web', '--to', 'api-svc:80/tcp');
  assert.equal(service.code, 0);
  assert.match(service.stdout.split('\n')[0]!, /^allowed by allow rule platform\/api-ingress\/ingress\/0 .* \(examples\/platform\.policy:25\)$/);
  assert.match(service.stdout, /service api-svc 10\.96\.0\.10:80\/tcp -> target port 8080/);
  const outside = cli('trace', 'examples/platform.policy', '--from', 'web', '--to', '203.0.113.9:443/tcp');
  assert.equal(outside.stdout.split('\n')[0], 'denied by deny rule platform/egress-allowlist/egress/3 `deny to cidr 203.0.113.0/24` (examples/platform.policy:40)');
  const icmp = cli('trace', 'examples/platform.policy', '--from', 'web', '--to', 'api:icmp/echo-request');
  assert.equal(icmp.stdout.split('\n')[0], 'denied by the default deny of policy platform/egress-allowlist for egress (examples/platform.policy:35), no rule matches');
  const bad = cli('trace', 'examples/platform.policy', '--from', 'web', '--to', 'api:icmp/nope');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown ICMP type 'nope'/);
});

test('test: the platform example passes statically', () => {
  const { code, stdout } = cli('test', 'examples/platform.policy');
  assert.match(stdout, /\n8 passed, 0 failed\n$/);
  assert.equal(code, 0);
});
