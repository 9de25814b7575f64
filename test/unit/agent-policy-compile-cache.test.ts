/**
 * The compile cache (map-state-cache.ts) gives what compilePolicy gives,
 * recompiling only policies whose content or context changed, and keeps the
 * entry arrays of unchanged policies (what the datapath's resolution cache keys on).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePolicy, type CompilerEndpoint } from '../../src/agent/policy/map-state';
import { PolicyCompileCache } from '../../src/agent/policy/map-state-cache';
import { applyPatch } from '../../src/agent/policy/bundle-patch';
import { IdentityAllocator } from '../../src/agent/policy/identity-allocator';
import { cookieOf, type Peer, type PolicyBundle, type PolicyIR, type RuleIR } from '../../src/protocol/policy-ir';

const loc = { uri: 'file:///x.policy', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } } };
const sel = (app: string) => ({ terms: [{ key: 'app', operator: 'in' as const, values: [app] }] });
const rule = (id: string, action: 'allow' | 'deny', peer: Peer, port: number): RuleIR =>
  ({ id, cookie: cookieOf(id), action, direction: 'ingress', peers: [peer], ports: [{ protocol: 'tcp', port }], text: id, source: loc });
const pol = (name: string, rules: [action: 'allow' | 'deny', peer: Peer, port: number][]): PolicyIR => ({
  id: `default/${name}`, cookie: cookieOf(`default/${name}`), name, namespace: 'default', selector: sel('server'), source: loc, selectSource: loc,
  ingress: rules.map(([a, p, port], i) => rule(`default/${name}/ingress/${i}`, a, p, port)),
});
const bundle = (...policies: PolicyIR[]): PolicyBundle => ({ version: 1, workloads: [], policies, expects: [] });
const client: Peer = { kind: 'selector', selector: sel('client') };
const cidr = (c: string): Peer => ({ kind: 'cidr', cidr: c, except: [] });
const key = (e: object) => JSON.stringify(e);

function lab(ids: IdentityAllocator): CompilerEndpoint[] {
  return ['client', 'server'].map((app, i) => ({
    name: `default/${app}-0`, endpointId: i + 1, ifname: `lxc${i + 1}`, ip: `10.244.0.${i + 2}`, identity: ids.forLabels('default', { app }), namespace: 'default', labels: { app },
  }));
}

test('the cache compiles what compilePolicy compiles, and a patch recompiles only the changed policy', () => {
  const ids = new IdentityAllocator();
  const eps = lab(ids);
  const cache = new PolicyCompileCache();
  const b1 = bundle(pol('a', [['allow', client, 80], ['allow', cidr('10.1.0.0/16'), 443]]), pol('b', [['allow', client, 81]]), pol('c', [['allow', { kind: 'entity', entity: 'world' }, 82]]));
  const first = cache.compile(b1, eps, ids, '10.244.0.1');
  assert.equal(first.recompiled, 3);
  const plain = compilePolicy(b1, eps, ids, '10.244.0.1');
  assert.deepEqual(first.entries.map(key).sort(), plain.entries.map(key).sort());
  assert.deepEqual(first.endpoints, plain.endpoints);
  assert.deepEqual(first.ipcache, plain.ipcache);

  const b2 = applyPatch(b1, { upsert: [pol('b', [['allow', client, 81], ['allow', client, 91]])], remove: [] });
  const second = cache.compile(b2, eps, ids, '10.244.0.1');
  assert.equal(second.recompiled, 1, 'only b');
  assert.equal(second.entryParts[0], first.entryParts[0], 'unchanged policy a keeps its entries array');
  assert.deepEqual(second.entries.map(key).sort(), compilePolicy(b2, eps, ids, '10.244.0.1').entries.map(key).sort());

  // A new CIDR changes what `world` expands to: every policy is compiled again.
  const b3 = applyPatch(b2, { upsert: [pol('d', [['deny', cidr('192.168.0.0/24'), 22]])], remove: ['default/a'] });
  const third = cache.compile(b3, eps, ids, '10.244.0.1');
  assert.equal(third.recompiled, 3);
  assert.deepEqual(third.entries.map(key).sort(), compilePolicy(b3, eps, ids, '10.244.0.1').entries.map(key).sort());
  assert.deepEqual(b3.policies.map((p) => p.id), ['default/b', 'default/c', 'default/d']);
});

test('a patch that would use a rule id twice is refused', () => {
  const b = bundle(pol('a', [['allow', client, 80]]));
  const clash = { ...pol('z', [['allow', client, 80]]), ingress: b.policies[0]!.ingress };
  assert.throws(() => applyPatch(b, { upsert: [clash], remove: [] }), /used twice/);
});

test('a re-sent bundle (new objects, same content) recompiles nothing and keeps the first objects', () => {
  const ids = new IdentityAllocator();
  const eps = lab(ids);
  const cache = new PolicyCompileCache();
  const b1 = bundle(pol('a', [['allow', client, 80]]), pol('b', [['deny', cidr('10.1.0.0/16'), 22]]));
  const first = cache.compile(b1, eps, ids, '10.244.0.1');
  const copy = JSON.parse(JSON.stringify(b1)) as PolicyBundle;
  copy.policies[1] = pol('b', [['deny', cidr('10.1.0.0/16'), 23]]);
  const again = cache.compile(copy, eps, ids, '10.244.0.1');
  assert.equal(again.recompiled, 1);
  assert.equal(again.policies[0], b1.policies[0]);
  assert.equal(again.entryParts[0], first.entryParts[0]);
  assert.equal(again.policies[1], copy.policies[1]);
  assert.deepEqual(again.entries.map(key).sort(), compilePolicy(copy, eps, ids, '10.244.0.1').entries.map(key).sort());
});

test('a one-rule change in a policy keeps the other rules\' entry arrays, and gives what compilePolicy gives', () => {
  const ids = new IdentityAllocator();
  const eps = lab(ids);
  const cache = new PolicyCompileCache();
  const rules = Array.from({ length: 50 }, (_, i): [action: 'allow' | 'deny', peer: Peer, port: number] => [i % 7 ? 'allow' : 'deny', i % 3 ? client : cidr('10.2.0.0/16'), 1000 + i]);
  const b1 = bundle(pol('big', rules));
  const first = cache.compile(b1, eps, ids, '10.244.0.1');
  const changed = [...rules];
  changed[20] = ['allow', client, 9100];
  const b2 = bundle(pol('big', changed));
  const second = cache.compile(b2, eps, ids, '10.244.0.1');
  assert.equal(second.recompiled, 1);
  assert.equal(second.entryParts.length, 50);
  second.entryParts.forEach((part, i) => (i === 20 ? assert.notEqual : assert.equal)(part, first.entryParts[i], `rule ${i}`));
  assert.deepEqual(second.entries.map(key).sort(), compilePolicy(b2, eps, ids, '10.244.0.1').entries.map(key).sort());
  // A selector change recompiles every rule.
  const b3 = bundle({ ...b2.policies[0]!, selector: sel('client') });
  const third = cache.compile(b3, eps, ids, '10.244.0.1');
  assert.ok(third.entryParts.every((part, i) => part !== second.entryParts[i]));
  assert.deepEqual(third.entries.map(key).sort(), compilePolicy(b3, eps, ids, '10.244.0.1').entries.map(key).sort());
});

test('rules moved by an edit above them (new text and source ranges) keep their entries; the bundle keeps the new sources', () => {
  const ids = new IdentityAllocator();
  const eps = lab(ids);
  const cache = new PolicyCompileCache();
  const b1 = bundle(pol('a', [['allow', client, 80], ['deny', client, 81]]));
  const first = cache.compile(b1, eps, ids, '10.244.0.1');
  const moved = { line: 7, character: 0 };
  const p = b1.policies[0]!;
  const b2 = bundle({ ...p, source: { ...loc, range: { start: moved, end: moved } }, ingress: p.ingress!.map((r) => ({ ...r, text: `${r.text} `, source: { ...loc, range: { start: moved, end: moved } } })) });
  const second = cache.compile(b2, eps, ids, '10.244.0.1');
  assert.deepEqual(second.entryParts, first.entryParts);
  second.entryParts.forEach((part, i) => assert.equal(part, first.entryParts[i]));
  assert.equal(second.policies[0], b2.policies[0], 'the moved policy is the one kept (its sources explain flows)');
});
