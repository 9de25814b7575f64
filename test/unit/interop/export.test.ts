/** Export: the mapping of every construct, schema validity, and a warning (with its line) for what a format cannot carry. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { exportBundle } from '../../../src/language-server/interop/export-manifests.js';
import type { CiliumNetworkPolicy, NetworkPolicy } from '../../../src/language-server/interop/manifest-types.js';
import { compileTexts, schemaErrors } from './helpers.js';

const SHOP = `namespace shop { labels { team: "retail" }
  workload web { labels { app: "web", tier: "front" } }
  workload api { labels { app: "api" } }
  policy api-ingress {
    select app == "api"
    ingress {
      allow from app in ("web", "admin") and tier != "batch" to port 8080/tcp
      allow from "io.kubernetes.pod.namespace" exists and "io.cilium.k8s.namespace.labels.team" == "ops" to port 9000-9100/tcp
      allow from cidr 10.0.0.0/8 except 10.1.0.0/16, 10.2.0.0/16 to port 443/tcp
      allow from entity host
      deny  from !exists tier to port 8080/tcp
      allow from app == "web" to port 53/any, icmp
    }
    egress { }
  }
}
`;

async function exported(format: 'cilium' | 'k8s') {
  const { bundle, errors } = await compileTexts({ 'shop.policy': SHOP });
  assert.deepEqual(errors, []);
  return exportBundle(bundle, format);
}

test('CiliumNetworkPolicy export maps selectors, namespaces, CIDRs, entities, deny rules and default deny, and is schema-valid', async () => {
  const result = await exported('cilium');
  assert.equal(result.documents.length, 1);
  const cnp = result.documents[0] as CiliumNetworkPolicy;
  assert.deepEqual(schemaErrors(cnp), []);
  assert.deepEqual(cnp.metadata, { name: 'api-ingress', namespace: 'shop' });
  const spec = cnp.spec!;
  assert.deepEqual(spec.endpointSelector, { matchLabels: { app: 'api' } }, 'own-namespace term is implicit in a namespaced CNP');
  const ingress = spec.ingress!;
  assert.deepEqual(ingress[0]!.fromEndpoints, [{ matchExpressions: [{ key: 'app', operator: 'In', values: ['admin', 'web'] }, { key: 'tier', operator: 'NotIn', values: ['batch'] }] }]);
  assert.deepEqual(ingress[1]!.fromEndpoints, [{ matchLabels: { 'k8s:io.cilium.k8s.namespace.labels.team': 'ops' }, matchExpressions: [{ key: 'k8s:io.kubernetes.pod.namespace', operator: 'Exists' }] }]);
  assert.deepEqual(ingress[1]!.toPorts, [{ ports: [{ port: '9000', endPort: 9100, protocol: 'TCP' }] }]);
  assert.deepEqual(ingress[2]!.fromCIDRSet, [{ cidr: '10.0.0.0/8', except: ['10.1.0.0/16', '10.2.0.0/16'] }]);
  assert.deepEqual(ingress[3], { fromEntities: ['host'] });
  assert.deepEqual(ingress[4]!.toPorts, [{ ports: [{ port: '53', protocol: 'ANY' }] }]);
  assert.deepEqual(spec.ingressDeny, [{ fromEndpoints: [{ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }], toPorts: [{ ports: [{ port: '8080', protocol: 'TCP' }] }] }]);
  assert.deepEqual(spec.egress, [{}], 'an empty block is default deny');
  // ICMP without a type is not expressible in CNP (icmps needs a type).
  assert.ok(result.warnings.some((w) => /ICMP without a type/.test(w.message) && w.source?.range.start.line === 11), JSON.stringify(result.warnings));
});

test('NetworkPolicy export: namespaceSelector AND podSelector, ipBlock, endPort, policyTypes; warnings name deny, entity and ICMP with their lines', async () => {
  const result = await exported('k8s');
  const np = result.documents[0] as NetworkPolicy;
  assert.deepEqual(schemaErrors(np), []);
  assert.deepEqual(np.spec.podSelector, { matchLabels: { app: 'api' } });
  assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
  assert.deepEqual(np.spec.egress, [], 'an empty egress list with policyTypes Egress is default deny');
  const ingress = np.spec.ingress!;
  assert.equal(ingress.length, 4, 'the deny rule and the entity-only rule are skipped');
  assert.deepEqual(ingress[0]!.from, [{ podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['admin', 'web'] }, { key: 'tier', operator: 'NotIn', values: ['batch'] }] } }]);
  assert.deepEqual(ingress[1], { from: [{ namespaceSelector: { matchLabels: { team: 'ops' } } }], ports: [{ protocol: 'TCP', port: 9000, endPort: 9100 }] });
  assert.deepEqual(ingress[2]!.from, [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16', '10.2.0.0/16'] } }]);
  assert.deepEqual(ingress[3]!.ports, [{ protocol: 'TCP', port: 53 }, { protocol: 'UDP', port: 53 }], 'ICMP left out, `any` written as TCP and UDP');
  const lines = result.warnings.map((w) => `${w.source!.uri.split('/').pop()}:${w.source!.range.start.line + 1}: ${w.message}`);
  assert.ok(lines.some((l) => l.startsWith('shop.policy:10:') && /entity 'host'/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('shop.policy:11:') && /no deny rules/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('shop.policy:12:') && /cannot express ICMP/.test(l)), lines.join('\n'));
});

test('a foreign namespace name becomes kubernetes.io/metadata.name; HTTP rules export to CNP and warn for NetworkPolicy', async () => {
  const text = `workload api { labels { app: "api" } }
policy api-http {
  select app == "api"
  ingress {
    allow from "io.kubernetes.pod.namespace" == "web" and app == "ui" to port 80/tcp http { GET "/public/.*" POST "/orders" header "X-Token" }
  }
}
`;
  const { bundle, errors } = await compileTexts({ 'http.policy': text });
  assert.deepEqual(errors, []);
  const cnp = exportBundle(bundle, 'cilium');
  const spec = (cnp.documents[0] as CiliumNetworkPolicy).spec!;
  assert.deepEqual(schemaErrors(cnp.documents[0]), []);
  assert.deepEqual(spec.ingress![0]!.fromEndpoints, [{ matchLabels: { app: 'ui', 'k8s:io.kubernetes.pod.namespace': 'web' } }]);
  assert.deepEqual(spec.ingress![0]!.toPorts, [{ ports: [{ port: '80', protocol: 'TCP' }], rules: { http: [{ method: 'GET', path: '/public/.*' }, { method: 'POST', path: '/orders', headers: ['X-Token'] }] } }]);
  const np = exportBundle(bundle, 'k8s');
  assert.deepEqual(schemaErrors(np.documents[0]), []);
  assert.deepEqual((np.documents[0] as NetworkPolicy).spec.ingress![0]!.from, [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'web' } }, podSelector: { matchLabels: { app: 'ui' } } }]);
  assert.ok(np.warnings.some((w) => /no L7 rules/.test(w.message) && w.source?.range.start.line === 4));
});

test('a namespace term written with Cilium\'s k8s: source exports like the plain one', async () => {
  const text = `workload api { labels { app: "api" } }
policy api-k8s {
  select app == "api"
  ingress {
    allow from "k8s:io.kubernetes.pod.namespace" == "web" and "k8s:app" == "ui" to port 80/tcp
  }
}
`;
  const { bundle, errors } = await compileTexts({ 'k8s.policy': text });
  assert.deepEqual(errors, []);
  const cnp = exportBundle(bundle, 'cilium');
  assert.deepEqual(schemaErrors(cnp.documents[0]), []);
  assert.deepEqual((cnp.documents[0] as CiliumNetworkPolicy).spec!.ingress![0]!.fromEndpoints, [{ matchLabels: { 'k8s:app': 'ui', 'k8s:io.kubernetes.pod.namespace': 'web' } }]);
  const np = exportBundle(bundle, 'k8s');
  assert.deepEqual(schemaErrors(np.documents[0]), []);
  assert.deepEqual((np.documents[0] as NetworkPolicy).spec.ingress![0]!.from, [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'web' } }, podSelector: { matchLabels: { app: 'ui' } } }], 'Kubernetes labels carry no source');
});
