/**
 * Every language service through the protocol, against a real server process
 * with the examples as its workspace: diagnostics with codes and ranges, code
 * actions applied and re-validated, formatting (idempotent on every example),
 * rename, references, definition, symbols, folding, semantic tokens,
 * completion and hover.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CodeAction, CompletionList, Diagnostic, DocumentSymbol, FoldingRange, Hover, Location, LocationLink, TextEdit, WorkspaceEdit } from 'vscode-languageserver';
import { LspSession, applyEdits, at } from './lsp-session.js';

const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples');
const code = (d: Diagnostic): string | undefined => (d.data as { code?: string } | undefined)?.code;
const FORMAT = { tabSize: 2, insertSpaces: true };

const SCRATCH = `namespace scratch
workload web { labels { app: "web" } }
workload api { labels { app: "api" } }
workload db { labels { app: "db" } }

policy api-in {
  select app == "api"
  ingress {
    allow from app == "web" to port 8080/tcp
    allow from app == "web" to port 8080/tcp
    allow from app == "db" to port 9090/tcp
    deny from app == "db"
  }
}

policy ghost {
  select app == "wbe"
  ingress { }
}

expect web -> api:8080/tcp allowed
expect web -> api:9000/tcp allowed
`;

test('language services over LSP', { timeout: 120_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-lsp-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const file of fs.readdirSync(examples).filter((f) => f.endsWith('.policy'))) fs.copyFileSync(path.join(examples, file), path.join(dir, file));
  const lsp = await LspSession.start(dir);
  t.after(() => lsp.stop());
  const scratch = lsp.uri('scratch.policy');
  const shop = lsp.uri('shop.policy');
  const shopText = fs.readFileSync(path.join(dir, 'shop.policy'), 'utf8');
  await lsp.open(scratch, SCRATCH);
  const diagnostics = await lsp.diagnosticsWhere(scratch, (ds) => ds.some((d) => code(d) === 'expect-fails'));

  await t.test('diagnostics: shadowed rule, allow under a deny, misspelt value, failing expect', () => {
    const byCode = (c: string): Diagnostic[] => diagnostics.filter((d) => code(d) === c);
    const shadowed = byCode('shadowed-rule');
    assert.equal(shadowed.length, 1);
    assert.equal(shadowed[0]!.severity, 2);
    assert.deepEqual(shadowed[0]!.range.start, at(SCRATCH, 'allow from app == "web" to port 8080/tcp\n    allow from app == "db"'));
    assert.match(String(shadowed[0]!.message), /line 9 \(`allow from app == "web" to port 8080\/tcp`\) already allows everything/);
    const overridden = byCode('allow-overridden-by-deny');
    assert.equal(overridden.length, 1);
    assert.equal(overridden[0]!.severity, 3);
    assert.deepEqual(overridden[0]!.range.start, at(SCRATCH, 'allow from app == "db"'));
    assert.match(String(overridden[0]!.message), /the deny on line 12 \(`deny from app == "db"`\)/);
    const typo = byCode('unknown-label-value');
    assert.equal(typo.length, 1);
    assert.deepEqual(typo[0]!.range, { start: at(SCRATCH, '"wbe"'), end: at(SCRATCH, '"wbe"', 5) });
    const failing = byCode('expect-fails');
    assert.equal(failing.length, 1);
    assert.equal(failing[0]!.severity, 1);
    // On the verdict of the failing line.
    assert.deepEqual(failing[0]!.range.start, at(SCRATCH, 'expect web -> api:9000/tcp allowed', 'expect web -> api:9000/tcp '.length));
    assert.equal(failing[0]!.message, 'Expected allowed, but denied by the default deny of policy scratch/api-in for ingress (line 7), no rule matches.');
  });

  await t.test('the shop example has no problems', async () => {
    assert.deepEqual((await lsp.diagnosticsWhere(shop, () => true)).map((d) => d.message), []);
  });

  await t.test('code actions fix the misspelt value and add the allow rule a failing expect needs', async () => {
    let text = SCRATCH;
    for (const wanted of ['unknown-label-value', 'expect-fails']) {
      const current = await lsp.diagnosticsWhere(scratch, (ds) => ds.some((d) => code(d) === wanted));
      const diagnostic = current.find((d) => code(d) === wanted)!;
      const actions = await lsp.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri: scratch }, range: diagnostic.range, context: { diagnostics: [diagnostic] } });
      assert.equal(actions.length, 1, wanted);
      const edit = actions[0]!.edit as WorkspaceEdit;
      text = applyEdits(text, edit.changes![scratch]!);
      await lsp.change(scratch, text);
      await lsp.diagnosticsWhere(scratch, (ds) => !ds.some((d) => code(d) === wanted));
    }
    assert.match(text, /select app == "web"/);
    assert.match(text, /    deny from app == "db"\n    allow from app == "web" to port 9000\/tcp\n  \}/);
  });

  await t.test('formatting is idempotent on every example', async () => {
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.policy'))) {
      const uri = lsp.uri(file);
      const original = fs.readFileSync(path.join(dir, file), 'utf8');
      await lsp.open(uri, original);
      const once = applyEdits(original, await lsp.request<TextEdit[]>('textDocument/formatting', { textDocument: { uri }, options: FORMAT }));
      await lsp.change(uri, once);
      const twice = applyEdits(once, await lsp.request<TextEdit[]>('textDocument/formatting', { textDocument: { uri }, options: FORMAT }));
      assert.equal(twice, once, file);
      assert.equal(once.replace(/\s+/g, ''), original.replace(/\s+/g, ''), `${file}: only whitespace changes`);
      await lsp.change(uri, original);
    }
  });

  await t.test('formatting normalises spacing and indentation', async () => {
    const uri = lsp.uri('ugly.policy');
    const ugly = 'workload a{labels{app:"a" ,x:"y"}   replicas   2}\npolicy   p{select app=="a"ingress{allow from app in("a","b")to port 1 - 2 / tcp}}\nexpect a->a : 80/tcp allowed\n';
    await lsp.open(uri, ugly);
    const formatted = applyEdits(ugly, await lsp.request<TextEdit[]>('textDocument/formatting', { textDocument: { uri }, options: FORMAT }));
    assert.equal(formatted, 'workload a { labels { app: "a", x: "y" } replicas 2 }\npolicy p {\n  select app == "a"\n  ingress {\n    allow from app in ("a", "b") to port 1-2/tcp\n  }\n}\nexpect a -> a:80/tcp allowed\n');
  });

  await t.test('definition, references and rename of a workload across its expects', async () => {
    const definition = await lsp.request<LocationLink[]>('textDocument/definition', { textDocument: { uri: shop }, position: at(shopText, 'expect frontend', 'expect '.length) });
    assert.equal(definition[0]!.targetUri, shop);
    assert.equal(definition[0]!.targetSelectionRange.start.line, at(shopText, 'workload frontend').line);
    const references = await lsp.request<Location[]>('textDocument/references', { textDocument: { uri: shop }, position: at(shopText, 'frontend {'), context: { includeDeclaration: true } });
    const expectsNamingFrontend = shopText.split('\n').filter((l) => /^expect .*frontend/.test(l)).length;
    assert.equal(references.length, expectsNamingFrontend + 1);
    const rename = await lsp.request<WorkspaceEdit>('textDocument/rename', { textDocument: { uri: shop }, position: at(shopText, 'frontend {'), newName: 'storefront' });
    const renamed = applyEdits(shopText, rename.changes![shop]!);
    assert.ok(!/\bfrontend\b(?!")/.test(renamed.replace(/\/\/.*$/gm, '')), 'every name occurrence renamed (label values untouched)');
    assert.match(renamed, /workload storefront \{ labels \{ app: "frontend"/);
    const policyRename = await lsp.request<WorkspaceEdit>('textDocument/rename', { textDocument: { uri: shop }, position: at(shopText, 'db-ingress'), newName: 'database-ingress' });
    assert.equal(policyRename.changes![shop]!.length, 1);
    // A reference qualified with its namespace keeps the qualifier.
    const qualified = lsp.uri('qualified.policy');
    const qualifiedText = 'namespace shop { workload web { labels { app: "web" } } }\nworkload client { }\nexpect client -> shop/web:80/tcp allowed\n';
    await lsp.open(qualified, qualifiedText);
    const nsRename = await lsp.request<WorkspaceEdit>('textDocument/rename', { textDocument: { uri: qualified }, position: at(qualifiedText, 'web {'), newName: 'storefront' });
    assert.match(applyEdits(qualifiedText, nsRename.changes![qualified]!), /expect client -> shop\/storefront:80\/tcp allowed/);
  });

  await t.test('document symbols, folding and semantic tokens', async () => {
    const platform = lsp.uri('platform.policy');
    const platformText = fs.readFileSync(path.join(dir, 'platform.policy'), 'utf8');
    const symbols = await lsp.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: platform } });
    const names = (list: DocumentSymbol[]): string[] => list.flatMap((s) => [s.name, ...names(s.children ?? [])]);
    for (const name of ['platform', 'web', 'api', 'api-svc', 'api-ingress', 'egress-allowlist']) assert.ok(names(symbols).includes(name), name);
    const folds = await lsp.request<FoldingRange[]>('textDocument/foldingRange', { textDocument: { uri: platform } });
    const policyLine = at(platformText, 'policy api-ingress').line;
    assert.ok(folds.some((f) => f.startLine === policyLine), 'the policy folds');
    const tokens = await lsp.request<{ data: number[] }>('textDocument/semanticTokens/full', { textDocument: { uri: shop } });
    assert.ok(tokens.data.length > 0 && tokens.data.length % 5 === 0);
    // Decode to absolute positions and find the declared workload name.
    let line = 0; let char = 0; const found: Array<[number, number, number]> = [];
    for (let i = 0; i < tokens.data.length; i += 5) {
      line += tokens.data[i]!; char = tokens.data[i]! ? tokens.data[i + 1]! : char + tokens.data[i + 1]!;
      found.push([line, char, tokens.data[i + 2]!]);
    }
    const decl = at(shopText, 'frontend {');
    assert.ok(found.some(([l, c]) => l === decl.line && c === decl.character), 'workload name is a semantic token');
  });

  await t.test('completion: well-known ports, ICMP types, label values, services as expect targets', async () => {
    const uri = lsp.uri('complete.policy');
    const text = 'workload a { labels { app: "a" } }\nservice s { vip 10.96.0.1 port 80/tcp select app == "a" }\npolicy p { select app == "a" ingress { allow to port  } }\nexpect a -> \n';
    await lsp.open(uri, text);
    await lsp.diagnosticsWhere(uri, () => true);
    const labels = async (position: { line: number; character: number }): Promise<string[]> =>
      (await lsp.request<CompletionList>('textDocument/completion', { textDocument: { uri }, position })).items.map((i) => i.label);
    const ports = await lsp.request<CompletionList>('textDocument/completion', { textDocument: { uri }, position: at(text, 'port  }', 5) });
    assert.equal(ports.items.find((i) => i.label === '5432/tcp')?.detail, 'postgresql');
    assert.ok((await labels(at(text, 'expect a -> ', 12))).includes('s'), 'services complete as expect targets');
    await lsp.change(uri, text.replace('allow to port  }', 'allow icmp type  }'));
    assert.ok((await labels(at(text, 'allow to port  }', 'allow icmp type '.length))).includes('echo-request'));
  });

  await t.test("hover on a workload shows its effective ingress and egress", async () => {
    const hover = await lsp.request<Hover>('textDocument/hover', { textDocument: { uri: shop }, position: at(shopText, 'db       {') });
    const value = (hover.contents as { value: string }).value;
    assert.match(value, /Selected by: `default\/db-ingress`/);
    assert.match(value, /Ingress: default deny; allows `allow from app == "backend" to port 5432\/tcp`/);
    assert.match(value, /Egress: default allow/);
  });
});
