/**
 * Edits in one file and what other files see, through LSP: the server keeps
 * other files' links when an edit leaves the workloads they name as they were
 * (policy-document-builder.ts), so these check that links, hovers and
 * cross-file diagnostics still follow the edited file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Diagnostic, Hover, Location, LocationLink } from 'vscode-languageserver';
import { LspSession, at } from './lsp-session.js';

const A = [
  'workload web { labels { app: "web" } }',
  'workload db { labels { app: "db" } }',
  'policy db-in {',
  '  select app == "db"',
  '  ingress {',
  '    allow from app == "web" to port 5432/tcp',
  '  }',
  '}',
  '',
].join('\n');
const B = 'expect web -> db:5432/tcp allowed\n';

/** A diagnostic's message as text (LSP 3.18 also allows markup). */
const messageOf = (d: Diagnostic): string => (typeof d.message === 'string' ? d.message : d.message.value);
const failing = (ds: Diagnostic[]): boolean => ds.some((d) => (d.data as { code?: string } | undefined)?.code === 'expect-fails');

test('an edit in one file updates links, hovers and diagnostics of the files naming its workloads', { timeout: 120_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-xfile-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'a.policy'), A);
  fs.writeFileSync(path.join(dir, 'b.policy'), B);
  const lsp = await LspSession.start(dir);
  t.after(() => lsp.stop());
  const a = lsp.uri('a.policy');
  const b = lsp.uri('b.policy');
  await lsp.diagnosticsWhere(b, (ds) => !failing(ds), 60_000);
  await lsp.open(a, A);

  // A policy edit (workloads unchanged): b's expect now fails, and says which policy decides.
  const denyingPort = A.replace('5432/tcp', '5433/tcp');
  await lsp.change(a, denyingPort);
  const failed = await lsp.diagnosticsWhere(b, failing);
  assert.match(messageOf(failed.find((d) => (d.data as { code?: string }).code === 'expect-fails')!), /default deny of policy default\/db-in for ingress/);
  await lsp.change(a, A);
  await lsp.diagnosticsWhere(b, (ds) => !failing(ds));

  // Lines inserted above the workloads: b's `db` still leads to its declaration, at the new line.
  const shifted = `// a comment\n// another\n${A}`;
  await lsp.change(a, shifted);
  await lsp.diagnosticsWhere(a, () => true);
  const definition = async (): Promise<{ uri: string; line: number }> => {
    const found = await lsp.request<Location | Array<Location | LocationLink>>('textDocument/definition', { textDocument: { uri: b }, position: at(B, '-> db', 3) });
    const first = Array.isArray(found) ? found[0]! : found;
    return 'targetUri' in first ? { uri: first.targetUri, line: first.targetSelectionRange.start.line } : { uri: first.uri, line: first.range.start.line };
  };
  assert.deepEqual(await definition(), { uri: a, line: 3 }, 'the definition follows the inserted lines');

  // A policy edit again (same workloads, same lines): the hover on b's `db` shows the edited file's node, selected by db-in.
  await lsp.change(a, shifted.replace('5432/tcp', '5434/tcp'));
  await lsp.diagnosticsWhere(b, failing);
  const hover = await lsp.request<Hover>('textDocument/hover', { textDocument: { uri: b }, position: at(B, '-> db', 3) });
  assert.match(JSON.stringify(hover.contents), /db-in/);
  assert.deepEqual(await definition(), { uri: a, line: 3 });

  // The workload renamed away: b's name no longer resolves (relinked, not kept).
  await lsp.change(a, shifted.replace('workload db ', 'workload database '));
  await lsp.diagnosticsWhere(b, (ds) => ds.some((d) => /Unknown workload or service 'db'|Unknown workload 'db'/.test(messageOf(d))));
});

test('an expect naming no workload of the edited file still follows a policy edit there', { timeout: 120_000 }, async (t) => {
  // Workloads in w.policy, the policy in p.policy, the expect in e.policy: editing
  // p.policy leaves every link of e.policy intact, but not its verdict.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-xfile-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const W = 'workload web { labels { app: "web" } }\nworkload db { labels { app: "db" } }\n';
  const P = 'policy db-in {\n  select app == "db"\n  ingress {\n    allow from app == "web" to port 5432/tcp\n  }\n}\n';
  fs.writeFileSync(path.join(dir, 'w.policy'), W);
  fs.writeFileSync(path.join(dir, 'p.policy'), P);
  fs.writeFileSync(path.join(dir, 'e.policy'), B);
  const lsp = await LspSession.start(dir);
  t.after(() => lsp.stop());
  const p = lsp.uri('p.policy');
  const e = lsp.uri('e.policy');
  await lsp.diagnosticsWhere(e, (ds) => !failing(ds), 60_000);
  await lsp.open(p, P);
  await lsp.change(p, P.replace('5432/tcp', '5433/tcp'));
  await lsp.diagnosticsWhere(e, failing);
  await lsp.change(p, P);
  await lsp.diagnosticsWhere(e, (ds) => !failing(ds));
});
