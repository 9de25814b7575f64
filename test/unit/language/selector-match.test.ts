/**
 * The one selector matcher: Kubernetes semantics, and Cilium's source prefixes
 * on selector keys. The static evaluator and the agent's policy compiler used
 * to disagree on `k8s:` keys (the agent stripped the prefix, the evaluator did
 * not); the last test runs both on one compiled workspace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectorKey, selectorMatches, selectorNamesNamespace, selectorText } from '../../../src/protocol/selector-match.js';
import type { LabelSelector, SelectorTerm } from '../../../src/protocol/policy-ir.js';
import { NAMESPACE_LABEL } from '../../../src/protocol/labels.js';
import { compilePolicy, type CompilerEndpoint } from '../../../src/agent/policy/map-state.js';
import { IdentityAllocator } from '../../../src/agent/policy/identity-allocator.js';
import { trace } from '../../../src/language-server/evaluator.js';
import { compileText, newServices } from './helpers.js';

const term = (key: string, operator: SelectorTerm['operator'], values: string[] = []): SelectorTerm => ({ key, operator, values });
const sel = (...terms: SelectorTerm[]): LabelSelector => ({ terms });

test('notin and notexists match when the key is absent; no terms selects everything', () => {
  const labels = { app: 'db' };
  assert.ok(selectorMatches(sel(), labels));
  assert.ok(selectorMatches(sel(term('tier', 'notin', ['web'])), labels));
  assert.ok(selectorMatches(sel(term('tier', 'notexists')), labels));
  assert.ok(!selectorMatches(sel(term('tier', 'exists')), labels));
  assert.ok(!selectorMatches(sel(term('app', 'notin', ['db'])), labels));
  assert.ok(!selectorMatches(sel(term('app', 'in', ['db']), term('tier', 'in', ['web'])), labels), 'terms are ANDed');
});

test('k8s: and any: keys name the plain workload label; other sources name none', () => {
  const labels = { app: 'db' };
  assert.equal(selectorKey('k8s:app'), 'app');
  assert.equal(selectorKey('any:app'), 'app');
  assert.ok(selectorMatches(sel(term('k8s:app', 'in', ['db'])), labels));
  assert.ok(selectorMatches(sel(term('any:app', 'exists')), labels));
  assert.ok(!selectorMatches(sel(term('k8s:app', 'notin', ['db'])), labels));
  assert.ok(!selectorMatches(sel(term('reserved:host', 'exists')), labels));
  assert.ok(selectorNamesNamespace(sel(term(`k8s:${NAMESPACE_LABEL}`, 'in', ['shop']))));
  assert.equal(selectorText(sel(term('k8s:app', 'in', ['db']), term('tier', 'notexists'))), 'app == "db" and !tier exists');
});

test('a k8s:-prefixed selector: the static evaluator and the agent compiler agree on what it selects', async () => {
  const text = `workload client { labels { app: "client" } }
workload db { labels { app: "db" } }
workload other { labels { app: "other" } }
policy db-in {
  select "k8s:app" == "db"
  ingress { allow from "k8s:app" == "client" port 5432/tcp }
}
`;
  const bundle = await compileText(newServices(), text);
  assert.equal(trace(bundle, 'client', 'db', 5432, 'tcp').verdict, 'allowed');
  assert.equal(trace(bundle, 'other', 'db', 5432, 'tcp').verdict, 'denied', 'the evaluator sees db selected by the k8s: key');

  const ids = new IdentityAllocator();
  const endpoints: CompilerEndpoint[] = bundle.workloads.map((w, i) => ({
    name: `${w.namespace}/${w.name}-0`, endpointId: i + 1, ifname: `lxc${i + 1}`, ip: `10.244.0.${i + 2}`,
    identity: ids.forLabels(w.namespace, w.labels), namespace: w.namespace, labels: w.labels,
  }));
  const compiled = compilePolicy(bundle, endpoints, ids, '10.244.0.1');
  const db = endpoints.find((e) => e.name === 'default/db-0')!;
  const client = endpoints.find((e) => e.name === 'default/client-0')!;
  assert.equal(compiled.endpoints.find((c) => c.endpointId === db.endpointId)!.ingressPolicyCookie, bundle.policies[0]!.cookie, 'the agent puts db in default deny too');
  assert.deepEqual(compiled.entries.filter((e) => e.endpointId === db.endpointId).map((e) => e.identity), [client.identity], 'and allows only the client');
});
