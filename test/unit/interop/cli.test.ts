/** The CLI verbs through the real entry point: YAML on stdout, `file:line: warning:` on stderr, policy text from import. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { ROOT, MANIFESTS } from './helpers.js';

const run = promisify(execFile);

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('export --format k8s prints one YAML document per policy and file:line warnings; import turns it back into policy text', async (t) => {
  const exported = await cli(['export', '--format', 'k8s', 'examples/shop.policy']);
  assert.equal(exported.code, 0, exported.stderr);
  const docs = parseAllDocuments(exported.stdout).map((d) => d.toJS());
  assert.deepEqual(docs.map((d) => `${d.kind} ${d.metadata.name}`), ['NetworkPolicy backend-ingress', 'NetworkPolicy db-ingress']);
  const denyLine = fs.readFileSync(path.join(ROOT, 'examples/shop.policy'), 'utf8').split('\n').findIndex((l) => /^\s*deny\s/.test(l)) + 1;
  assert.ok(exported.stderr.includes(`examples/shop.policy:${denyLine}: warning: policy backend-ingress: NetworkPolicy has no deny rules`), exported.stderr);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interop-cli-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'shop.yaml');
  fs.writeFileSync(file, exported.stdout);
  const imported = await cli(['import', file]);
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stdout, /policy db-ingress \{\n  select app == "db"\n  ingress \{\n    allow from app == "backend" to port 5432\/tcp\n/);
});

test('export --format cilium keeps the deny rule; usage and missing files exit 2', async () => {
  const exported = await cli(['export', '--format', 'cilium', 'examples/shop.policy']);
  assert.equal(exported.code, 0, exported.stderr);
  assert.equal(exported.stderr, '');
  assert.match(exported.stdout, /ingressDeny:/);
  assert.equal((await cli(['export', '--format', 'calico', 'examples/shop.policy'])).code, 2);
  assert.equal((await cli(['export', 'examples/shop.policy'])).code, 2);
  assert.equal((await cli(['import', 'no/such.yaml'])).code, 2);
});

test('import warns with the manifest path and line', async () => {
  const imported = await cli(['import', path.relative(ROOT, path.join(MANIFESTS, 'cilium/icmp-rule.yaml'))]);
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stderr, /^test\/data\/manifests\/cilium\/icmp-rule\.yaml:1: warning: CiliumNetworkPolicy icmp-rule: egress rule 1: ICMP family IPv6/m);
  assert.match(imported.stdout, /allow port icmp type 8/);
});
