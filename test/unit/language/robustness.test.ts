/**
 * Robustness: every prefix of every example and thousands of seeded random
 * mutations (deleted, duplicated, swapped and inserted tokens and characters)
 * go through parse, link, validate, completion, hover, semantic tokens,
 * document symbols and formatting. None
 * may throw; a hang fails the test by its timeout. Valid inputs must format to
 * the same text modulo whitespace. The seed makes any failure reproducible.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { URI } from 'langium';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { newServices } from './helpers.js';

const services = newServices();
const workspace = services.shared.workspace;
const examplesDir = new URL('../../../examples/', import.meta.url);
const EXAMPLES = fs.readdirSync(examplesDir).filter((f) => f.endsWith('.policy')).map((f) => fs.readFileSync(new URL(f, examplesDir), 'utf8'));
const TOKENS = ['{', '}', '(', ')', ',', ':', '/', '-', '->', '"', '!', '==', '!=', 'in', 'notin', 'exists', 'allow', 'deny', 'from', 'to', 'port',
  'select', 'ingress', 'egress', 'policy', 'workload', 'service', 'namespace', 'expect', 'icmp', 'type', 'http', 'GET', 'cidr', 'except', 'entity',
  'all', 'world', '10.0.0.0/8', '999.1.1.1/40', '0', '65536', '80/tcp', 'allowed', 'denied', 'vip', 'target', 'import', '"x.policy"', '//', '/*', '\n', ' '];
const TARGET = Number(process.env.ROBUSTNESS_INPUTS ?? 10_000);

/** mulberry32: small, seeded, good enough to spread mutations. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(text: string, rnd: () => number): string {
  const pick = <T>(items: T[]): T => items[Math.floor(rnd() * items.length)]!;
  let result = text;
  const edits = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(rnd() * (result.length + 1));
    const len = Math.floor(rnd() * 12);
    switch (Math.floor(rnd() * 5)) {
      case 0: result = result.slice(0, at) + result.slice(at + len); break;
      case 1: result = result.slice(0, at) + pick(TOKENS) + result.slice(at); break;
      case 2: result = result.slice(0, at) + result.slice(at, at + len) + result.slice(at); break;
      case 3: { const other = Math.floor(rnd() * result.length); result = result.slice(0, at) + result.slice(other, other + len) + result.slice(at + len); break; }
      default: result = result.slice(0, at) + String.fromCharCode(32 + Math.floor(rnd() * 95)) + result.slice(at);
    }
  }
  return result;
}

async function exercise(text: string, rnd: () => number, index: number): Promise<void> {
  const uri = URI.parse(`file:///robust/case${index}.policy`);
  const document = workspace.LangiumDocumentFactory.fromString(text, uri);
  workspace.LangiumDocuments.addDocument(document);
  await workspace.DocumentBuilder.build([document], { validation: true });
  // Langium turns an exception in a check into a diagnostic instead of throwing: that is a crash too.
  const crashed = (document.diagnostics ?? []).find((d) => String(d.message).startsWith('An error occurred'));
  assert.equal(crashed, undefined, `a check threw in case ${index}: ${crashed?.message}`);
  const position = document.textDocument.positionAt(Math.floor(rnd() * (text.length + 1)));
  const params = { textDocument: { uri: uri.toString() }, position };
  await services.lsp.CompletionProvider!.getCompletion(document, params);
  await services.lsp.HoverProvider!.getHoverContent(document, params);
  await services.lsp.SemanticTokenProvider!.semanticHighlight(document, { textDocument: params.textDocument });
  await services.lsp.DocumentSymbolProvider!.getSymbols(document, { textDocument: params.textDocument });
  const edits = await services.lsp.Formatter!.formatDocument(document, { textDocument: params.textDocument, options: { tabSize: 2, insertSpaces: true } });
  const { lexerErrors, parserErrors } = document.parseResult;
  if (lexerErrors.length === 0 && parserErrors.length === 0) {
    const formatted = TextDocument.applyEdits(document.textDocument, edits);
    assert.equal(formatted.replace(/\s+/g, ''), text.replace(/\s+/g, ''), `formatting changed more than whitespace in case ${index}:\n${text}`);
  }
  // Through the builder, so the index forgets the document too (the workspace stays one file).
  await workspace.DocumentBuilder.update([], [uri]);
}

test(`${TARGET} prefixes and mutations: no crash, no hang`, { timeout: 900_000 }, async (t) => {
  const rnd = random(0x5eed);
  const inputs: string[] = [];
  for (const example of EXAMPLES) for (let i = 0; i <= example.length; i++) inputs.push(example.slice(0, i));
  while (inputs.length < TARGET) inputs.push(mutate(EXAMPLES[inputs.length % EXAMPLES.length]!, rnd));
  let slowest = { ms: 0, index: -1 };
  for (let i = 0; i < inputs.length; i++) {
    const started = performance.now();
    try {
      await exercise(inputs[i]!, rnd, i);
    } catch (err) {
      assert.fail(`case ${i} threw ${err instanceof Error ? err.stack : String(err)}\n--- input ---\n${inputs[i]}`);
    }
    const ms = performance.now() - started;
    if (ms > slowest.ms) slowest = { ms, index: i };
  }
  t.diagnostic(`${inputs.length} inputs; slowest case ${slowest.index}: ${slowest.ms.toFixed(1)} ms`);
});
