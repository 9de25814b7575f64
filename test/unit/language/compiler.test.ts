import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DESIGN_SKETCH, compileText, newServices, positionOf } from './helpers.js';
import { cookieOf, POLICY_IR_VERSION } from '../../../src/protocol/policy-ir.js';

const services = newServices();
const NS = 'io.kubernetes.pod.namespace';

test('the DESIGN sketch compiles to a versioned bundle with stable ids and cookies', async () => {
  const bundle = await compileText(services, DESIGN_SKETCH);
  assert.equal(bundle.version, POLICY_IR_VERSION);
  assert.deepEqual(bundle.workloads.map((w) => [w.name, w.namespace, w.replicas]), [['frontend', 'default', 2], ['backend', 'default', 1], ['db', 'default', 1]]);
  assert.deepEqual(bundle.workloads[0]!.labels, { app: 'frontend', tier: 'web', [NS]: 'default' });
  const policy = bundle.policies[0]!;
  assert.equal(policy.id, 'default/backend-ingress');
  assert.equal(policy.cookie, cookieOf('default/backend-ingress'));
  assert.deepEqual(policy.ingress!.map((r) => r.id), [0, 1, 2, 3].map((i) => `default/backend-ingress/ingress/${i}`));
  assert.deepEqual(policy.egress!.map((r) => [r.id, r.cookie]), [['default/backend-ingress/egress/0', cookieOf('default/backend-ingress/egress/0')]]);
  for (const rule of [...policy.ingress!, ...policy.egress!]) assert.notEqual(rule.cookie, 0);
});

test('selectors are normalised and scoped to the namespace', async () => {
  const bundle = await compileText(services, `
workload a { labels { app: "a" } }
policy p {
  select app == "a", env != "dev", tier exists, debug !exists, zone notin ("x")
  ingress { allow from app in ("b", "c") and "io.kubernetes.pod.namespace" == "other" }
}
`);
  const policy = bundle.policies[0]!;
  assert.deepEqual(policy.selector.terms, [
    { key: 'app', operator: 'in', values: ['a'] },
    { key: 'env', operator: 'notin', values: ['dev'] },
    { key: 'tier', operator: 'exists', values: [] },
    { key: 'debug', operator: 'notexists', values: [] },
    { key: 'zone', operator: 'notin', values: ['x'] },
    { key: NS, operator: 'in', values: ['default'] },
  ]);
  // An explicit namespace term is kept as written (a cross-namespace peer).
  assert.deepEqual(policy.ingress![0]!.peers, [{ kind: 'selector', selector: { terms: [
    { key: 'app', operator: 'in', values: ['b', 'c'] },
    { key: NS, operator: 'in', values: ['other'] },
  ] } }]);
});

test('peers, ports, text and source locations', async () => {
  const text = `workload a { labels { app: "a" } }
policy p {
  select app == "a"
  ingress {
    deny from cidr 10.0.0.0/8 except 10.1.0.0/16, entity world // a comment
    allow port 53/udp, 9000-9100/tcp, icmp, 80/any
  }
  egress { }
}
expect a -> a:53/udp allowed
`;
  const bundle = await compileText(services, text);
  const policy = bundle.policies[0]!;
  const [deny, allow] = policy.ingress!;
  assert.deepEqual(deny!.peers, [{ kind: 'cidr', cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] }, { kind: 'entity', entity: 'world' }]);
  assert.equal(deny!.action, 'deny');
  assert.equal(deny!.text, 'deny from cidr 10.0.0.0/8 except 10.1.0.0/16, entity world');
  assert.deepEqual(allow!.peers, []);
  assert.deepEqual(allow!.ports, [{ protocol: 'udp', port: 53 }, { protocol: 'tcp', port: 9000, endPort: 9100 }, { protocol: 'icmp' }, { protocol: 'any', port: 80 }]);
  assert.deepEqual(policy.egress, [], 'an empty egress block is kept: it means default deny');
  assert.equal(deny!.source.uri, 'file:///ws/main.policy');
  assert.deepEqual(deny!.source.range.start, positionOf(text, 'deny from'));
  assert.deepEqual(policy.selectSource.range, { start: positionOf(text, 'select'), end: { line: 2, character: '  select app == "a"'.length } });
  assert.deepEqual(bundle.expects, [{
    id: 'default/expect/0', from: 'a', to: 'a', port: 53, protocol: 'udp', verdict: 'allowed',
    text: 'expect a -> a:53/udp allowed',
    source: { uri: 'file:///ws/main.policy', range: { start: positionOf(text, 'expect a'), end: { line: 9, character: 28 } } },
  }]);
});

test('namespaces: block and file statement, labels, qualified expect names', async () => {
  const bundle = await compileText(services, `namespace shop { labels { team: "retail" }
  workload web { labels { app: "web" } }
  policy web-in { select app == "web" ingress { } }
}
`, [`namespace shop
workload api { labels { app: "api" } }
expect api -> web:80/tcp denied
`, 'workload tool { }\nexpect tool -> shop/web icmp denied\n']);
  const web = bundle.workloads.find((w) => w.name === 'web')!;
  assert.equal(web.namespace, 'shop');
  assert.deepEqual(web.labels, { app: 'web', [NS]: 'shop', 'io.cilium.k8s.namespace.labels.team': 'retail' });
  assert.equal(bundle.workloads.find((w) => w.name === 'api')!.namespace, 'shop');
  assert.equal(bundle.workloads.find((w) => w.name === 'tool')!.namespace, 'default');
  assert.equal(bundle.policies[0]!.id, 'shop/web-in');
  assert.deepEqual(bundle.expects.map((e) => [e.from, e.to]).sort(), [['shop/api', 'shop/web'], ['tool', 'shop/web']]);
});
