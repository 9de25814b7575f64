/** The evaluator's newer rules: services, addresses outside the lab, ICMP types, `all`, HTTP, fixed addresses, and the examples. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { compileText, newServices } from './helpers.js';
import { trace, UnknownWorkloadError, type TraceProtocol } from '../../../src/language-server/evaluator.js';

const services = newServices();

const BASE = `workload web { labels { app: "web" } }
workload api { labels { app: "api" } replicas 2 }
workload api2 { labels { app: "api", canary: "yes" } }
workload dns { labels { app: "dns" } address 10.244.0.53 }
service api-svc { vip 10.96.0.10 port 80/tcp select app == "api" target port 8080 }
service empty-svc { vip 10.96.0.11 port 80/tcp select app == "none" }
`;

test('every expect of every example holds statically', async () => {
  for (const name of fs.readdirSync(new URL('../../../examples/', import.meta.url)).filter((f) => f.endsWith('.policy'))) {
    const bundle = await compileText(services, fs.readFileSync(new URL(`../../../examples/${name}`, import.meta.url), 'utf8'));
    assert.ok(bundle.expects.length > 0, name);
    for (const e of bundle.expects) {
      assert.equal(trace(bundle, e.from, e.to, e.port, e.protocol as TraceProtocol, e.icmpType).verdict, e.verdict, `${name}: ${e.text}`);
    }
  }
});

test('a service is judged at every backend on the target port; the first denying backend decides', async () => {
  const bundle = await compileText(services, BASE + `policy api-in {
  select app == "api"
  ingress {
    allow from app == "web" to port 8080/tcp
    deny from app == "web" and !exists nothing to port 8080/tcp
  }
}
policy canary-in { select canary == "yes" ingress { allow from app == "web" to port 8080/tcp } }
`);
  const viaService = trace(bundle, 'web', 'service:api-svc', 80, 'tcp');
  assert.equal(viaService.verdict, 'denied');
  assert.ok(viaService.decidedBy.kind === 'rule' && viaService.decidedBy.action === 'deny');
  assert.ok(viaService.steps[0]!.includes('target port 8080'));
  // A bare name that is no workload resolves to the service.
  assert.equal(trace(bundle, 'web', 'api-svc', 80, 'tcp').verdict, 'denied');
  // Wrong service port or protocol, and a service without backends: denied, decided by the service.
  for (const [to, port, protocol] of [['api-svc', 81, 'tcp'], ['api-svc', 80, 'udp'], ['empty-svc', 80, 'tcp']] as const) {
    const result = trace(bundle, 'web', to, port, protocol);
    assert.equal(result.verdict, 'denied', `${to}:${port}/${protocol}`);
    assert.equal(result.decidedBy.kind, 'no-backend');
  }
});

test('a service passes only when every backend allows the target port', async () => {
  const bundle = await compileText(services, BASE + 'policy api-in { select app == "api" ingress { allow from app == "web" to port 8080/tcp } }\n');
  const result = trace(bundle, 'web', 'service:api-svc', 80, 'tcp');
  assert.equal(result.verdict, 'allowed');
  assert.equal(result.steps.filter((s) => s.startsWith('packet web -> ')).length, 2, 'both backends traced');
  const blocked = await compileText(services, BASE + 'policy api-in { select app == "api" ingress { allow from app == "web" to port 80/tcp } }\n');
  assert.equal(trace(blocked, 'web', 'service:api-svc', 80, 'tcp').verdict, 'denied', 'policy is on the target port, not the service port');
});

test('outside addresses are world: CIDR rules with except, entity world/all; no ingress side', async () => {
  const bundle = await compileText(services, BASE + `policy web-out {
  select app == "web"
  egress {
    allow to cidr 0.0.0.0/0 except 10.0.0.0/8 port 443/tcp
    allow to entity world port 80/tcp
    deny to cidr 198.51.100.0/24
  }
}
`);
  const v = (to: string, port: number): string => trace(bundle, 'web', to, port, 'tcp').verdict;
  assert.equal(v('cidr:203.0.113.5/32', 443), 'allowed');
  assert.equal(v('203.0.113.5', 443), 'allowed', 'a bare address works too');
  assert.equal(v('10.1.2.3', 443), 'denied', 'except hole');
  assert.equal(v('203.0.113.5', 80), 'allowed', 'entity world');
  assert.equal(v('198.51.100.7', 443), 'denied', 'deny wins over the broader allow');
  assert.equal(v('203.0.113.5', 22), 'denied', 'default deny');
  // Without an egress policy, outside traffic is allowed; workloads never match CIDR peers.
  assert.equal(trace(bundle, 'api', '203.0.113.5', 22, 'tcp').verdict, 'allowed');
  const cidrOnly = await compileText(services, BASE + 'policy dns-in { select app == "dns" ingress { allow from cidr 0.0.0.0/0 } }\n');
  assert.equal(trace(cidrOnly, 'web', 'dns', 53, 'udp').verdict, 'denied', 'a CIDR peer never matches a workload');
});

test('from host (the lab node): only the destination\'s ingress decides; host, cluster and all match it, selectors and CIDRs never', async () => {
  const bundle = await compileText(services, BASE + `policy api-in {
  select app == "api"
  ingress {
    allow from entity host port 8080/tcp
    allow from entity cluster port 9090/tcp
    allow from entity all port 7070/tcp
    allow from cidr 0.0.0.0/0 port 6060/tcp
    allow from app == "web" port 5050/tcp
  }
}
policy web-out { select app == "web" egress { } }
`);
  const fromHost = (to: string, port: number) => trace(bundle, 'host', to, port, 'tcp');
  for (const port of [8080, 9090, 7070]) {
    const r = fromHost('api', port);
    assert.equal(r.verdict, 'allowed', `port ${port}`);
    assert.equal(r.decidedBy.kind === 'rule' && r.decidedBy.direction, 'ingress');
  }
  for (const port of [6060, 5050, 22]) {
    const r = fromHost('api', port);
    assert.equal(r.verdict, 'denied', `port ${port}`);
    assert.deepEqual(r.decidedBy.kind === 'default-deny' && [r.decidedBy.policyId, r.decidedBy.direction], ['default/api-in', 'ingress']);
  }
  // web's egress policy denies everything web sends, but the node is not web: no egress side.
  assert.equal(fromHost('web', 80).verdict, 'allowed');
  assert.equal(fromHost('web', 80).decidedBy.kind, 'default-allow');
  assert.throws(() => fromHost('api-svc', 80), UnknownWorkloadError);
});

test("a workload's fixed address as a target is that workload", async () => {
  const bundle = await compileText(services, BASE + 'policy dns-in { select app == "dns" ingress { allow from app == "web" to port 53/udp } }\n');
  assert.equal(trace(bundle, 'web', '10.244.0.53', 53, 'udp').verdict, 'allowed');
  assert.equal(trace(bundle, 'api', '10.244.0.53', 53, 'udp').verdict, 'denied');
  assert.equal(bundle.workloads.find((w) => w.name === 'dns')!.address, '10.244.0.53');
});

test('ICMP types: a typed rule matches only its type, an untyped one all; a probe is an echo request', async () => {
  const bundle = await compileText(services, BASE + `policy api-in { select app == "api" ingress { allow from app == "web" to icmp type echo-request } }
policy dns-in { select app == "dns" ingress { allow from app == "web" to icmp } }
policy web-in { select app == "web" ingress { allow icmp type 0 } }
`);
  assert.equal(trace(bundle, 'web', 'api', undefined, 'icmp').verdict, 'allowed');
  assert.equal(trace(bundle, 'web', 'api', undefined, 'icmp', 8).verdict, 'allowed');
  assert.equal(trace(bundle, 'web', 'api', undefined, 'icmp', 13).verdict, 'denied');
  assert.equal(trace(bundle, 'web', 'dns', undefined, 'icmp', 13).verdict, 'allowed');
  assert.equal(trace(bundle, 'api', 'web', undefined, 'icmp').verdict, 'denied');
  assert.equal(trace(bundle, 'api', 'web', undefined, 'icmp', 0).verdict, 'allowed');
  assert.deepEqual(bundle.policies[0]!.ingress![0]!.ports, [{ protocol: 'icmp', icmpType: 8 }]);
});

test("`all` selects every workload of the policy's namespace, not of others", async () => {
  const bundle = await compileText(services, `workload a { labels { app: "a" } }
workload b { labels { app: "b" } }
namespace other { workload c { labels { app: "c" } } }
policy lock { select all ingress { allow from all } }
`);
  assert.equal(trace(bundle, 'a', 'b', 80, 'tcp').verdict, 'allowed');
  assert.equal(trace(bundle, 'other/c', 'b', 80, 'tcp').verdict, 'denied', 'peers of `all` are in the policy namespace only');
  assert.equal(trace(bundle, 'a', 'other/c', 80, 'tcp').verdict, 'allowed', 'c is not selected');
});

test('HTTP rules compile to the IR and still decide at L4 (the proxy refines later)', async () => {
  const bundle = await compileText(services, BASE + `policy api-in { select app == "api" ingress {
  allow from app == "web" to port 8080/tcp http { GET "/products/.*" POST "/orders" header "X-Id" ANY }
} }
`);
  const rule = bundle.policies[0]!.ingress![0]!;
  assert.deepEqual(rule.http, [{ method: 'GET', path: '/products/.*' }, { method: 'POST', path: '/orders', headers: ['X-Id'] }, {}]);
  assert.equal(trace(bundle, 'web', 'api', 8080, 'tcp').verdict, 'allowed');
});

test('services, namespaces and labels reach the IR', async () => {
  const bundle = await compileText(services, 'namespace shop { labels { team: "retail" } workload w { labels { app: "w" } } service s { vip 10.96.0.1 port 53/udp select app == "w" } }\n');
  assert.deepEqual(bundle.namespaces!.map((n) => [n.name, n.labels]), [['shop', { team: 'retail' }]]);
  const svc = bundle.services![0]!;
  assert.deepEqual([svc.name, svc.namespace, svc.vip, svc.port, svc.protocol, svc.targetPort], ['s', 'shop', '10.96.0.1', 53, 'udp', 53]);
  assert.deepEqual(svc.selector.terms.map((t) => t.key), ['app', 'io.kubernetes.pod.namespace']);
  assert.throws(() => trace(bundle, 'w', 'nothing', 1, 'tcp'), UnknownWorkloadError);
});
