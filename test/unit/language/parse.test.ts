import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { DESIGN_SKETCH, errorsOf, newServices, validate } from './helpers.js';
import { isCidrPeer, isEntityPeer, isExpect, isPolicy, isWorkload } from '../../../src/language-server/generated/ast.js';

const services = newServices();

test('the example parses and validates without problems', async () => {
  const text = fs.readFileSync(new URL('../../../examples/shop.policy', import.meta.url), 'utf8');
  const { document, diagnostics } = await validate(services, text);
  assert.deepEqual(document.parseResult.lexerErrors, []);
  assert.deepEqual(document.parseResult.parserErrors, []);
  assert.deepEqual(diagnostics.map((d) => d.message), []);
  const model = document.parseResult.value;
  assert.deepEqual(model.declarations.filter(isWorkload).map((w) => [w.name, w.replicas ?? 1]), [['frontend', 2], ['backend', 1], ['db', 1]]);
  assert.equal(model.declarations.filter(isPolicy).length, 2);
  assert.ok(model.declarations.filter(isExpect).some((e) => e.verdict === 'denied'));
});

test("DESIGN.md's sketch parses with no errors", async () => {
  const { document, diagnostics } = await validate(services, DESIGN_SKETCH);
  assert.deepEqual(document.parseResult.parserErrors.map((e) => e.message), []);
  assert.deepEqual(errorsOf(diagnostics).map((d) => d.message), []);
  const policy = document.parseResult.value.declarations.find(isPolicy)!;
  const rules = policy.ingress[0]!.rules;
  assert.equal(rules.length, 4);
  assert.ok(isEntityPeer(rules[2]!.peers[0]) && rules[2]!.peers[0].entity === 'host');
  const cidr = rules[3]!.peers[0]!;
  assert.ok(isCidrPeer(cidr));
  assert.equal(cidr.cidr, '10.0.0.0/8');
  assert.deepEqual(cidr.except, ['10.1.0.0/16']);
  assert.deepEqual(rules[1]!.ports.map((p) => [p.port, p.endPort, p.protocol]), [[9000, 9100, 'tcp']]);
});

test('every selector form, entities, ports, icmp and namespaces parse', async () => {
  const text = `
namespace shop
/* a block comment */
workload web-1 { labels { app: "web", "app.kubernetes.io/name": "shop" } }
workload api { labels { app: "api", env: "prod" } replicas 3 }
policy p-1 {
  select app in ("api", "web"), env exists and !exists debug
  ingress {
    allow from app != "web" and env notin ("dev", "test") port 53/udp, 9000-9100/tcp
    allow from tier !exists or entity cluster to port icmp
    allow from entity world, cidr "192.168.0.0/16"
    deny
  }
  egress { allow to exists env, entity all 443/tcp }
}
expect web-1 -> api icmp allowed
expect shop/web-1 -> shop/api:53/udp allowed
`;
  const { document, diagnostics } = await validate(services, text);
  assert.deepEqual(document.parseResult.parserErrors.map((e) => e.message), []);
  assert.deepEqual(errorsOf(diagnostics).map((d) => d.message), []);
  const expects = document.parseResult.value.declarations.filter(isExpect);
  assert.equal(expects[1]!.to?.ref?.name, 'api');
});

test('a syntax error is reported and the rest of the file still parses', async () => {
  const { document } = await validate(services, 'workload a { labels { app: "a" } }\npolicy p { select app == }\nworkload b { }\n');
  assert.ok(document.parseResult.parserErrors.length > 0);
  assert.ok(document.parseResult.value.declarations.some((d) => isWorkload(d) && d.name === 'b'));
});
