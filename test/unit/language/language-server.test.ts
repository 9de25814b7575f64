/**
 * The language server as the extension runs it: a separate process speaking
 * LSP (here over stdio instead of IPC), answering CompileWorkspace for the
 * `.policy` files of its workspace folder and publishing diagnostics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { CompileWorkspace } from '../../../src/protocol/language-rpc.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

test('CompileWorkspace returns the bundle of the workspace and its problems', { timeout: 60_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-ls-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.copyFileSync(path.join(root, 'examples/shop.policy'), path.join(dir, 'shop.policy'));
  fs.writeFileSync(path.join(dir, 'extra.policy'), 'workload cache { labels { app: "cache" } }\nexpect cache -> bakend:6379/tcp allowed\n');

  const server = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/language-server/main.ts'), '--stdio'], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  t.after(() => { if (server.exitCode === null) server.kill(); });
  const connection = createMessageConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
  const diagnostics = new Map<string, { message: string }[]>();
  connection.onNotification('textDocument/publishDiagnostics', (p: { uri: string; diagnostics: { message: string }[] }) => { diagnostics.set(p.uri, p.diagnostics); });
  connection.listen();
  t.after(() => connection.dispose());

  const folder = pathToFileURL(dir).toString();
  const init = await connection.sendRequest('initialize', {
    processId: process.pid, rootUri: folder, capabilities: {}, workspaceFolders: [{ uri: folder, name: 'ws' }],
  }) as { capabilities: { completionProvider?: unknown; hoverProvider?: unknown } };
  assert.ok(init.capabilities.completionProvider && init.capabilities.hoverProvider);
  await connection.sendNotification('initialized', {});

  const result = await connection.sendRequest(CompileWorkspace, {});
  assert.deepEqual(result.bundle.workloads.map((w) => w.name).sort(), ['backend', 'cache', 'db', 'frontend']);
  assert.deepEqual(result.bundle.policies.map((p) => p.id), ['default/backend-ingress', 'default/db-ingress']);
  assert.equal(result.bundle.expects.length, 6, 'the unresolved expect is left out of the bundle');
  assert.ok(result.bundle.policies[0]!.source.uri.endsWith('/shop.policy'));
  const problem = result.problems.find((p) => p.severity === 'error');
  assert.ok(problem, 'the typo is a problem');
  assert.equal(problem.message, "Unknown workload 'bakend'. Did you mean 'backend'?");
  assert.equal(problem.source.range.start.line, 1);

  const only = await connection.sendRequest(CompileWorkspace, { uris: [pathToFileURL(path.join(dir, 'extra.policy')).toString()] });
  assert.deepEqual(only.bundle.workloads.map((w) => w.name), ['cache']);

  await connection.sendRequest('shutdown');
  await connection.sendNotification('exit');
});
