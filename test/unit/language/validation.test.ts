import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Diagnostic } from 'vscode-languageserver';
import { newServices, positionOf, validate } from './helpers.js';

const services = newServices();

const WORKLOADS = `workload frontend { labels { app: "frontend" } }
workload backend { labels { app: "backend" } }
`;

function only(diagnostics: Diagnostic[], code: string): Diagnostic {
  const found = diagnostics.filter((d) => (d.data as { code?: string } | undefined)?.code === code);
  assert.equal(found.length, 1, `one '${code}' diagnostic expected, got: ${diagnostics.map((d) => d.message).join(' | ')}`);
  return found[0]!;
}

test('a misspelt workload in an expect is an error on the name, with a suggestion', async () => {
  const text = WORKLOADS + 'expect frontnd -> backend:8080/tcp allowed\n';
  const { diagnostics } = await validate(services, text);
  const d = only(diagnostics, 'linking-error');
  assert.equal(d.severity, 1);
  assert.equal(d.message, "Unknown workload 'frontnd'. Did you mean 'frontend'?");
  const start = positionOf(text, 'frontnd');
  assert.deepEqual(d.range, { start, end: { line: start.line, character: start.character + 'frontnd'.length } });
});

test('an expect may name a workload declared in another file', async () => {
  const { diagnostics } = await validate(services, 'expect frontend -> backend:80/tcp allowed\n', [WORKLOADS]);
  assert.deepEqual(diagnostics.map((d) => d.message), []);
});

test('an invalid CIDR is an error on the CIDR', async () => {
  const text = WORKLOADS + 'policy p { select app == "backend" ingress { deny from cidr 10.0.300.0/8 } }\n';
  const { diagnostics } = await validate(services, text);
  const d = only(diagnostics, 'invalid-cidr');
  assert.equal(d.severity, 1);
  assert.match(String(d.message), /octet above 255/);
  const start = positionOf(text, '10.0.300.0/8');
  assert.deepEqual(d.range, { start, end: { line: start.line, character: start.character + '10.0.300.0/8'.length } });
});

test('an except outside its CIDR and a prefix above 32 are errors', async () => {
  const text = WORKLOADS + 'policy p { select app == "backend" ingress { deny from cidr 10.0.0.0/8 except 192.168.0.0/16, 10.0.0.0/33 } }\n';
  const { diagnostics } = await validate(services, text);
  const outside = only(diagnostics, 'except-outside-cidr');
  assert.equal(outside.range.start.character, positionOf(text, '192.168.0.0/16').character);
  const invalid = only(diagnostics, 'invalid-cidr');
  assert.equal(invalid.range.start.character, positionOf(text, '10.0.0.0/33').character);
});

test('a reversed port range and an out-of-range port are errors', async () => {
  const text = WORKLOADS + 'policy p { select app == "backend" ingress { allow from app == "frontend" port 9100-9000/tcp, 70000/udp } }\n';
  const { diagnostics } = await validate(services, text);
  const range = only(diagnostics, 'invalid-port-range');
  assert.equal(range.severity, 1);
  assert.deepEqual(range.range.start, positionOf(text, '9100-9000/tcp'));
  assert.deepEqual(range.range.end.character, positionOf(text, '9100-9000/tcp').character + '9100-9000/tcp'.length);
  const port = only(diagnostics, 'invalid-port');
  assert.deepEqual(port.range.start, positionOf(text, '70000'));
});

test('a misspelt label value is a warning on the value, with the existing value suggested', async () => {
  const text = WORKLOADS + 'policy p { select app == "backnd" ingress { allow from app == "frontend" } }\n';
  const { diagnostics } = await validate(services, text);
  const d = only(diagnostics, 'unknown-label-value');
  assert.equal(d.severity, 2);
  assert.equal(d.message, 'No workload has app: "backnd". Did you mean "backend"?');
  assert.deepEqual(d.range.start, positionOf(text, '"backnd"'));
});

test('a peer selector of existing labels that matches no workload is a warning on the selector', async () => {
  const text = WORKLOADS + 'workload other { labels { role: "x" } }\npolicy p { select app == "backend" ingress { allow from app == "frontend" and role == "x" } }\n';
  const { diagnostics } = await validate(services, text);
  const d = only(diagnostics, 'selector-matches-nothing');
  assert.equal(d.severity, 2);
  assert.deepEqual(d.range.start, positionOf(text, 'app == "frontend" and'));
});

test('selectors only match workloads of their own namespace', async () => {
  const text = 'namespace shop { workload api { labels { app: "api" } } }\npolicy p { select app == "api" ingress { } }\n';
  const { diagnostics } = await validate(services, text);
  const d = only(diagnostics, 'policy-selects-nothing');
  assert.equal(d.message, "Policy 'p' selects no workload in namespace 'default', so it has no effect.");
  assert.deepEqual(d.range.start, positionOf(text, 'app == "api" ingress'));
});

test('duplicate workloads across files, duplicate label keys and misused from/to are errors', async () => {
  const text = 'workload frontend { labels { app: "x", app: "y" } }\npolicy p { select app == "x" ingress { allow to app == "x" } }\n';
  const { diagnostics } = await validate(services, text, [WORKLOADS]);
  assert.deepEqual(only(diagnostics, 'duplicate-name').range.start, positionOf(text, 'frontend'));
  only(diagnostics, 'duplicate-label');
  assert.match(String(only(diagnostics, 'wrong-peer-keyword').message), /ingress rules name their peers with 'from'/);
});

test('the same workload name in two namespaces is fine', async () => {
  const { diagnostics } = await validate(services, 'namespace a { workload w { } }\nnamespace b { workload w { } }\n');
  assert.deepEqual(diagnostics.map((d) => d.message), []);
});
