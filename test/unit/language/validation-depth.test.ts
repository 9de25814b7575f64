/** Validation of the newer constructs: services, addresses, ICMP types, HTTP rules, imports, label words, expects to services. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Diagnostic } from 'vscode-languageserver';
import { codeOf, newServices, positionOf, validate } from './helpers.js';

const services = newServices();
const W = 'workload web { labels { app: "web" } }\nworkload api { labels { app: "api" } }\n';

function only(diagnostics: Diagnostic[], code: string): Diagnostic {
  const found = diagnostics.filter((d) => codeOf(d) === code);
  assert.equal(found.length, 1, `one '${code}' expected, got: ${diagnostics.map((d) => `${codeOf(d)}: ${d.message}`).join(' | ')}`);
  return found[0]!;
}

test('a complete service and an expect to it validate cleanly', async () => {
  const text = W + 'service api-svc { vip 10.96.0.10 port 80/tcp select app == "api" target port 8080 }\nexpect web -> api-svc:80/tcp allowed\n';
  const { diagnostics } = await validate(services, text);
  assert.deepEqual(diagnostics.map((d) => d.message), []);
});

test('service errors: missing parts, a prefix as VIP, a port out of range, a name taken by a workload', async () => {
  const text = W + 'service api { vip 10.96.0.0/24 port 70000/tcp }\n';
  const { diagnostics } = await validate(services, text);
  assert.equal(only(diagnostics, 'incomplete-service').message, "Service 'api' needs `select`.");
  assert.deepEqual(only(diagnostics, 'invalid-address').range.start, positionOf(text, '10.96.0.0/24'));
  assert.deepEqual(only(diagnostics, 'invalid-port').range.start, positionOf(text, '70000'));
  const duplicates = diagnostics.filter((d) => codeOf(d) === 'duplicate-name');
  assert.ok(duplicates.some((d) => d.message === "The service 'api' has the name of a workload in namespace 'default'."));
});

test('workload addresses: one IPv4 address, one replica', async () => {
  const { diagnostics } = await validate(services, 'workload a { address 10.0.0.0/24 }\nworkload b { replicas 2 address 10.0.0.7 }\nworkload c { address 10.0.0.8 }\n');
  assert.deepEqual(diagnostics.filter((d) => codeOf(d) === 'invalid-address').map((d) => d.message),
    ["A workload address is one IPv4 address, not the prefix '10.0.0.0/24'.", 'A fixed address needs a single replica.']);
});

test('ICMP types: unknown names get a suggestion, numbers above 255 are errors', async () => {
  const text = W + 'policy p { select app == "api" ingress { allow icmp type echo-reqest, icmp type 300 } }\nexpect web -> api icmp type bogus-type allowed\n';
  const { diagnostics } = await validate(services, text);
  const unknown = diagnostics.filter((d) => codeOf(d) === 'unknown-icmp-type');
  assert.equal(unknown.length, 2);
  assert.equal(unknown[0]!.message, "Unknown ICMP type 'echo-reqest'. Did you mean 'echo-request'?");
  assert.deepEqual(unknown[0]!.range.start, positionOf(text, 'echo-reqest'));
  assert.match(only(diagnostics, 'invalid-icmp-type').message as string, /300 is out of range/);
});

test('HTTP rules only on allow rules with TCP ports', async () => {
  const text = W + 'policy p { select app == "api" ingress {\n  deny from app == "web" to port 80/tcp http { GET "/" }\n  allow from app == "web" to port 53/udp http { GET "/" }\n  allow from app == "web" to port 80/tcp http { GET "/a" }\n} }\n';
  const { diagnostics } = await validate(services, text);
  assert.deepEqual(only(diagnostics, 'http-on-deny').range.start, positionOf(text, 'deny from'));
  assert.ok(only(diagnostics, 'http-needs-tcp'));
});

test('each http { } block of an allow rule warns that the lab datapath allows the whole port; a deny rule keeps only its error', async () => {
  const text = W + 'policy p { select app == "api" ingress {\n  allow from app == "web" to port 80/tcp http { GET "/a" }\n  allow from app == "web" to port 8080/tcp http { }\n  deny from app == "web" to port 81/tcp http { GET "/" }\n  allow from app == "web" to port 9090/tcp\n} }\n';
  const { diagnostics } = await validate(services, text);
  const warnings = diagnostics.filter((d) => codeOf(d) === 'http-not-enforced');
  assert.deepEqual(warnings.map((d) => [d.severity, d.message, d.range.start, d.range.end.character - d.range.start.character]), [
    [2, 'HTTP rules are not enforced by the lab datapath yet: the whole port is allowed.', positionOf(text, 'http { GET "/a"'), 4],
    [2, 'HTTP rules are not enforced by the lab datapath yet: the whole port is allowed.', positionOf(text, 'http { }'), 4],
  ]);
  assert.ok(only(diagnostics, 'http-on-deny'));
});

test('a misspelt label key is a warning with a suggestion; reserved namespace keys are not checked', async () => {
  const text = W + 'policy p { select ap == "api" ingress { allow from "io.kubernetes.pod.namespace" == "default" } }\n';
  const { diagnostics } = await validate(services, text);
  const d = only(diagnostics, 'unknown-label-key');
  assert.equal(d.message, "No workload has a label 'ap'. Did you mean 'app'?");
  assert.equal(d.data && (d.data as { suggestion?: string }).suggestion, 'app');
});

test('an import must name a .policy file of the workspace', async () => {
  const { diagnostics } = await validate(services, 'import "other0.policy"\nimport "missing.policy"\n' + W, ['workload x { }']);
  const d = only(diagnostics, 'unresolved-import');
  assert.match(d.message as string, /'missing.policy' is not a .policy file of this workspace/);
  assert.equal(d.range.start.line, 1);
});

test('shadowing is about coverage: a narrower earlier rule, a different port or a partial deny do not warn', async () => {
  const text = W + `policy p {
  select app == "api"
  ingress {
    allow from app == "web" to port 80/tcp
    allow from app in ("web", "api") to port 80-90/tcp
    allow from app == "web" to port 443/tcp
    deny from app == "web" to port 81/tcp
    allow to port 8000-9000/tcp
    allow to port 8080/tcp
  }
}
`;
  const { diagnostics } = await validate(services, text);
  const shadowed = diagnostics.filter((d) => codeOf(d) === 'shadowed-rule');
  assert.deepEqual(shadowed.map((d) => d.range.start.line), [positionOf(text, 'allow to port 8080').line]);
  assert.deepEqual(diagnostics.filter((d) => codeOf(d) === 'allow-overridden-by-deny'), []);
});

test('a failing expect to a service or outside address names the deciding line', async () => {
  const text = W + `service api-svc { vip 10.96.0.10 port 80/tcp select app == "api" target port 8080 }
policy out { select app == "web" egress { deny to cidr 203.0.113.0/24 } }
expect web -> api-svc:80/tcp allowed
expect web -> 203.0.113.7:443/tcp allowed
`;
  const { diagnostics } = await validate(services, text);
  const failing = diagnostics.filter((d) => codeOf(d) === 'expect-fails').map((d) => d.message);
  assert.deepEqual(failing, [
    'Expected allowed, but denied by the default deny of policy default/out for egress (line 4), no rule matches.',
    'Expected allowed, but denied by deny rule default/out/egress/0 `deny to cidr 203.0.113.0/24` (line 4).',
  ]);
});
