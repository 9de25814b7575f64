/**
 * Import: the manifests of the Kubernetes and Cilium documentation become
 * policies whose static verdicts (evaluator trace) are the ones the pages
 * describe. Workloads are written next to the imported text.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { trace, type TraceProtocol } from '../../../src/language-server/evaluator.js';
import { importManifests } from '../../../src/language-server/interop/import-manifests.js';
import { MANIFESTS, compileTexts } from './helpers.js';

type Case = [from: string, to: string, packet: string, verdict: 'allowed' | 'denied'];

async function verdicts(manifest: string, workloads: string, cases: Case[], yamlText?: string): Promise<string> {
  const yaml = yamlText ?? fs.readFileSync(path.join(MANIFESTS, manifest), 'utf8');
  const imported = importManifests(yaml, manifest);
  const { bundle, errors } = await compileTexts({ 'imported.policy': imported.text, 'workloads.policy': workloads });
  assert.deepEqual(errors, [], imported.text);
  for (const [from, to, packet, expected] of cases) {
    const [, port, protocol] = /^(?:(\d+)\/)?(tcp|udp|icmp)$/.exec(packet)!;
    const result = trace(bundle, from, to, port ? Number(port) : undefined, protocol as TraceProtocol);
    assert.equal(result.verdict, expected, `${manifest}: ${from} -> ${to} ${packet}\n${result.steps.join('\n')}\n${imported.text}`);
  }
  return imported.text;
}

test('Kubernetes test-network-policy: ipBlock/namespaceSelector/podSelector peers ORed, port 6379, egress only to 10.0.0.0/24:5978', async () => {
  const text = await verdicts('kubernetes/networkpolicy.yaml', `
workload db { labels { role: "db" } }
workload frontend { labels { role: "frontend" } }
workload other { labels { role: "other" } }
namespace myproject { labels { project: "myproject" } workload anypod { labels { role: "anything" } } }
namespace elsewhere { workload frontend { labels { role: "frontend" } } }
`, [
    ['frontend', 'db', '6379/tcp', 'allowed'],
    ['myproject/anypod', 'db', '6379/tcp', 'allowed'],
    ['other', 'db', '6379/tcp', 'denied'],
    ['elsewhere/frontend', 'db', '6379/tcp', 'denied'],
    ['frontend', 'db', '80/tcp', 'denied'],
    ['db', 'frontend', '80/tcp', 'denied'],
    ['db', 'cidr:10.0.0.7', '5978/tcp', 'allowed'],
    ['db', 'cidr:10.0.1.7', '5978/tcp', 'denied'],
  ]);
  assert.match(text, /cidr 172\.17\.0\.0\/16 except 172\.17\.1\.0\/24/);
});

test('Kubernetes default deny / allow all, ingress and egress, and the endPort range', async () => {
  const pods = 'workload a { labels { app: "a" } }\nworkload b { labels { app: "b" } }\nnamespace other { workload c { labels { app: "c" } } }\n';
  await verdicts('kubernetes/network-policy-default-deny-ingress.yaml', pods, [['a', 'b', '80/tcp', 'denied'], ['a', 'other/c', '80/tcp', 'allowed']]);
  await verdicts('kubernetes/network-policy-allow-all-ingress.yaml', pods, [['a', 'b', '80/tcp', 'allowed'], ['other/c', 'b', '443/tcp', 'allowed']]);
  await verdicts('kubernetes/network-policy-default-deny-egress.yaml', pods, [['a', 'b', '80/tcp', 'denied'], ['other/c', 'a', '80/tcp', 'allowed']]);
  await verdicts('kubernetes/network-policy-allow-all-egress.yaml', pods, [['a', 'b', '80/tcp', 'allowed']]);
  await verdicts('kubernetes/network-policy-default-deny-all.yaml', pods, [['a', 'b', '80/tcp', 'denied'], ['other/c', 'a', '80/tcp', 'denied'], ['a', 'other/c', '53/udp', 'denied']]);
  await verdicts('kubernetes/networkpolicy-multiport-egress.yaml', 'workload db { labels { role: "db" } }\n', [
    ['db', 'cidr:10.0.0.9', '32000/tcp', 'allowed'], ['db', 'cidr:10.0.0.9', '32768/tcp', 'allowed'], ['db', 'cidr:10.0.0.9', '32769/tcp', 'denied'],
  ]);
});

test('Kubernetes "and" vs "or" peers: namespaceSelector and podSelector in one element are ANDed', async () => {
  const yaml = fs.readFileSync(path.join(MANIFESTS, 'kubernetes/namespace-and-pod-selector.yaml'), 'utf8').split(/^---$/m);
  const pods = `workload db { labels { role: "db" } }
workload client { labels { role: "client" } }
namespace alice { labels { user: "alice" } workload client { labels { role: "client" } } workload web { labels { role: "web" } } }
`;
  await verdicts('and', pods, [['alice/client', 'db', '80/tcp', 'allowed'], ['alice/web', 'db', '80/tcp', 'denied'], ['client', 'db', '80/tcp', 'denied']], yaml[0]);
  await verdicts('or', pods, [['alice/client', 'db', '80/tcp', 'allowed'], ['alice/web', 'db', '80/tcp', 'allowed'], ['client', 'db', '80/tcp', 'allowed']], yaml[1]);
});

test('Cilium L3, L4, L3+L4, entity, default-deny and namespace examples', async () => {
  const pods = `workload frontend { labels { role: "frontend" } }
workload backend { labels { role: "backend" } }
workload svc { labels { app: "myService" } }
workload dev { labels { env: "dev" } }
workload restricted { labels { role: "restricted" } }
`;
  await verdicts('cilium/l3-rule.yaml', pods, [['frontend', 'backend', '80/tcp', 'allowed'], ['frontend', 'backend', '9999/udp', 'allowed'], ['svc', 'backend', '80/tcp', 'denied']]);
  await verdicts('cilium/l4-rule.yaml', pods, [['svc', 'backend', '80/tcp', 'allowed'], ['svc', 'backend', '443/tcp', 'denied'], ['svc', 'frontend', '80/udp', 'denied']]);
  await verdicts('cilium/l3-l4-rule.yaml', pods, [['frontend', 'backend', '80/tcp', 'allowed'], ['frontend', 'backend', '8080/tcp', 'denied'], ['svc', 'backend', '80/tcp', 'denied']]);
  await verdicts('cilium/host-entity.yaml', pods, [['dev', 'backend', '80/tcp', 'denied'], ['backend', 'dev', '80/tcp', 'allowed']]);
  await verdicts('cilium/deny-all-egress.yaml', pods, [['restricted', 'backend', '80/tcp', 'denied'], ['backend', 'restricted', '80/tcp', 'allowed']]);
  await verdicts('cilium/deny-world.yaml', pods, [['frontend', 'backend', '80/tcp', 'allowed'], ['dev', 'svc', '53/udp', 'allowed']]);
  await verdicts('cilium/l7-http.yaml', `workload svc { labels { app: "service" } }\nworkload prod { labels { env: "prod" } }\nworkload dev { labels { env: "dev" } }\n`,
    [['prod', 'svc', '80/tcp', 'allowed'], ['dev', 'svc', '80/tcp', 'denied']]);
  await verdicts('cilium/namespace-policy.yaml', `namespace ns1 { workload leia { labels { name: "leia" } } workload luke { labels { name: "luke" } } }
namespace ns2 { workload luke { labels { name: "luke" } } workload han { labels { name: "han" } } }
`, [['ns2/luke', 'ns1/leia', '80/tcp', 'allowed'], ['ns1/luke', 'ns1/leia', '80/tcp', 'denied'], ['ns2/han', 'ns1/leia', '80/tcp', 'denied']]);
});

test('Cilium ICMP and CIDR examples: types kept, IPv6 and CIDR semantics reported or kept', async () => {
  const icmp = importManifests(fs.readFileSync(path.join(MANIFESTS, 'cilium/icmp-rule.yaml'), 'utf8'), 'icmp-rule.yaml');
  assert.match(icmp.text, /allow port icmp type 8/);
  assert.ok(icmp.warnings.some((w) => /ICMP family IPv6/.test(w.message) && w.line === 1));
  await verdicts('cilium/cidr-rule.yaml', 'workload svc { labels { app: "myService" } }\nworkload b { labels { app: "b" } }\n', [
    ['svc', 'cidr:20.1.1.1', '80/tcp', 'allowed'], ['svc', 'cidr:10.3.0.1', '80/tcp', 'allowed'], ['svc', 'cidr:10.96.0.1', '80/tcp', 'denied'], ['svc', 'b', '80/tcp', 'denied'],
  ]);
});

test('import reports what it cannot carry with the document line, and never widens a rule', () => {
  const result = importManifests(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: named-port }
spec:
  podSelector: {}
  ingress:
  - ports: [{ port: http }]
---
apiVersion: v1
kind: ConfigMap
metadata: { name: x }
`, 'mixed.yaml');
  assert.ok(result.warnings.some((w) => /named port 'http'/.test(w.message) && w.line === 1), JSON.stringify(result.warnings));
  assert.ok(result.warnings.some((w) => /ConfigMap/.test(w.message) && w.line === 9), JSON.stringify(result.warnings));
  assert.match(result.text, /ingress \{ \}/, 'the rule that lost its only port is dropped, leaving default deny');
});
