import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdentityAllocator, identityLabels } from '../../src/agent/policy/identity-allocator';
import { ReservedIdentity } from '../../src/protocol/identities';

test('identical label sets in one namespace share an identity from 256 up', () => {
  const a = new IdentityAllocator();
  const fe = a.forLabels('default', { app: 'frontend', tier: 'web' });
  assert.equal(fe, 256);
  assert.equal(a.forLabels('default', { tier: 'web', app: 'frontend' }), fe, 'label order does not matter');
  assert.equal(a.forLabels('default', { app: 'backend' }), 257);
});

test('the namespace is part of the identity, as k8s:io.kubernetes.pod.namespace', () => {
  const a = new IdentityAllocator();
  assert.notEqual(a.forLabels('default', { app: 'db' }), a.forLabels('shop', { app: 'db' }));
  assert.deepEqual(identityLabels('shop', { app: 'db' }), { 'k8s:app': 'db', 'k8s:io.kubernetes.pod.namespace': 'shop' });
  const listed = a.list().find((i) => i.labels['k8s:io.kubernetes.pod.namespace'] === 'shop');
  assert.deepEqual(listed?.labels, { 'k8s:app': 'db', 'k8s:io.kubernetes.pod.namespace': 'shop' });
});

test('reserved identities keep Cilium numbers and CIDRs get local-scope identities', () => {
  const a = new IdentityAllocator();
  assert.equal(ReservedIdentity.Host, 1);
  assert.equal(ReservedIdentity.World, 2);
  assert.equal(a.forCidr('10.0.0.0/8'), 16777217);
  assert.equal(a.forCidr('10.1.0.0/16'), 16777218);
  assert.equal(a.forCidr('10.0.0.0/8'), 16777217);
  const ids = a.list().map((i) => i.id);
  assert.deepEqual(ids.slice(0, 2), [1, 2]);
});

test('allocations survive a snapshot and restore (agent restart), and unused ones are released', () => {
  const a = new IdentityAllocator();
  const fe = a.forLabels('default', { app: 'frontend' });
  const be = a.forLabels('default', { app: 'backend' });
  const cidr = a.forCidr('192.168.0.0/16');
  const b = IdentityAllocator.restore(JSON.parse(JSON.stringify(a.snapshot())));
  assert.equal(b.forLabels('default', { app: 'backend' }), be);
  assert.equal(b.forLabels('default', { app: 'frontend' }), fe);
  assert.equal(b.forCidr('192.168.0.0/16'), cidr);
  b.retainLabelIdentities(new Set([be]));
  assert.equal(b.forLabels('default', { app: 'other' }), fe, 'the released number is reused');
});
