import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePolicy, type CompilerEndpoint } from '../../src/agent/policy/map-state';
import { IdentityAllocator } from '../../src/agent/policy/identity-allocator';
import { cookieOf, type LabelSelector, type Peer, type PolicyBundle, type PolicyIR, type PortRule, type RuleIR } from '../../src/protocol/policy-ir';

const loc = { uri: 'file:///shop.policy', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } } };
const sel = (labels: Record<string, string>): LabelSelector => ({ terms: Object.entries(labels).map(([key, v]) => ({ key, operator: 'in' as const, values: [v] })) });
const rule = (id: string, direction: 'ingress' | 'egress', action: 'allow' | 'deny', peers: Peer[], ports: PortRule[]): RuleIR =>
  ({ id, cookie: cookieOf(id), action, direction, peers, ports, text: id, source: loc });
const policy = (name: string, select: LabelSelector, blocks: { ingress?: RuleIR[]; egress?: RuleIR[] }, namespace = 'default'): PolicyIR =>
  ({ id: `${namespace}/${name}`, cookie: cookieOf(`${namespace}/${name}`), name, namespace, selector: select, ...blocks, source: loc, selectSource: loc });
const bundle = (...policies: PolicyIR[]): PolicyBundle => ({ version: 1, workloads: [], policies, expects: [] });

function lab(ids: IdentityAllocator): CompilerEndpoint[] {
  const ep = (endpointId: number, workload: string, labels: Record<string, string>, namespace = 'default'): CompilerEndpoint => ({
    name: `${namespace}/${workload}-0`, endpointId, ifname: `lxc${endpointId}`, ip: `10.244.0.${endpointId + 1}`,
    identity: ids.forLabels(namespace, labels), namespace, labels,
  });
  return [
    ep(1, 'frontend', { app: 'frontend' }),
    ep(2, 'backend', { app: 'backend' }),
    ep(3, 'db', { app: 'db' }),
    ep(4, 'db', { app: 'db' }, 'other'),
  ];
}

test('an endpoint is default-allow until a policy selecting it has a block for that direction', () => {
  const ids = new IdentityAllocator();
  const eps = lab(ids);
  const be = policy('backend-ingress', sel({ app: 'backend' }), { ingress: [] });
  const out = compilePolicy(bundle(be), eps, ids, '10.244.0.1');
  const cfg = Object.fromEntries(out.endpoints.map((c) => [c.endpointId, c]));
  assert.equal(cfg[2]!.ingressPolicyCookie, be.cookie, 'an empty ingress block still enforces');
  assert.equal(cfg[2]!.egressPolicyCookie, 0);
  assert.equal(cfg[1]!.ingressPolicyCookie, 0);
  assert.deepEqual(out.entries, []);
  assert.deepEqual(out.enforcing.find((e) => e.endpoint === 'default/backend-0'), { endpoint: 'default/backend-0', ingress: true, egress: false });
});

test('selector peers become the identities of matching endpoints in the policy namespace, times every port', () => {
  const ids = new IdentityAllocator();
  const eps = lab(ids);
  const allow = rule('default/backend-ingress/ingress/0', 'ingress', 'allow', [{ kind: 'selector', selector: sel({ app: 'frontend' }) }],
    [{ protocol: 'tcp', port: 8080 }, { protocol: 'tcp', port: 9000, endPort: 9100 }]);
  const deny = rule('default/backend-ingress/ingress/1', 'ingress', 'deny', [{ kind: 'selector', selector: sel({ app: 'db' }) }], []);
  const out = compilePolicy(bundle(policy('backend-ingress', sel({ app: 'backend' }), { ingress: [allow, deny] })), eps, ids, '10.244.0.1');
  const fe = eps[0]!.identity;
  const db = eps[2]!.identity;
  assert.deepEqual(out.entries, [
    { endpointId: 2, direction: 'ingress', identity: fe, protocol: 6, portStart: 8080, portEnd: 8080, action: 'allow', cookie: allow.cookie },
    { endpointId: 2, direction: 'ingress', identity: fe, protocol: 6, portStart: 9000, portEnd: 9100, action: 'allow', cookie: allow.cookie },
    // only the db in the policy's namespace, not other/db (which has a different identity)
    { endpointId: 2, direction: 'ingress', identity: db, protocol: 0, portStart: 0, portEnd: 0, action: 'deny', cookie: deny.cookie },
  ]);
  assert.notEqual(eps[3]!.identity, db);
});

test('a selector naming the namespace reaches across namespaces', () => {
  const ids = new IdentityAllocator();
  const eps = lab(ids);
  const peer: Peer = { kind: 'selector', selector: { terms: [{ key: 'io.kubernetes.pod.namespace', operator: 'in', values: ['other'] }] } };
  const out = compilePolicy(bundle(policy('p', sel({ app: 'backend' }), { ingress: [rule('r', 'ingress', 'allow', [peer], [])] })), eps, ids, '10.244.0.1');
  assert.deepEqual(out.entries.map((e) => e.identity), [eps[3]!.identity]);
});

test('entities map to reserved identities; no peer means any identity; any+port means tcp and udp', () => {
  const ids = new IdentityAllocator();
  const eps = lab(ids);
  const r = (id: string, peers: Peer[], ports: PortRule[] = []) => rule(id, 'egress', 'allow', peers, ports);
  const p = policy('fe-egress', sel({ app: 'frontend' }), {
    egress: [
      r('host', [{ kind: 'entity', entity: 'host' }]),
      r('world', [{ kind: 'entity', entity: 'world' }]),
      r('all', [{ kind: 'entity', entity: 'all' }]),
      r('nopeer', [], [{ protocol: 'any', port: 53 }]),
      r('icmp', [{ kind: 'entity', entity: 'cluster' }], [{ protocol: 'icmp', icmpType: 8 }]),
    ],
  });
  const out = compilePolicy(bundle(p), eps, ids, '10.244.0.1');
  const by = (id: string) => out.entries.filter((e) => e.cookie === cookieOf(id)).map((e) => [e.identity, e.protocol, e.portStart, e.portEnd]);
  assert.deepEqual(by('host'), [[1, 0, 0, 0]]);
  assert.deepEqual(by('world'), [[2, 0, 0, 0]]);
  assert.deepEqual(by('all'), [[0, 0, 0, 0]]);
  assert.deepEqual(by('nopeer'), [[0, 6, 53, 53], [0, 17, 53, 53]]);
  const clusterIds = [1, ...new Set(eps.map((e) => e.identity))];
  assert.deepEqual(by('icmp'), clusterIds.map((i) => [i, 1, 8, 8]));
  assert.equal(out.endpoints.find((c) => c.endpointId === 1)!.egressPolicyCookie, p.cookie);
});

test('CIDR peers get CIDR identities in the ipcache; except carves out a longer prefix', () => {
  const ids = new IdentityAllocator();
  const eps = lab(ids);
  const deny = rule('cidr', 'ingress', 'deny', [{ kind: 'cidr', cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] }], []);
  const out = compilePolicy(bundle(policy('p', sel({ app: 'backend' }), { ingress: [deny] })), eps, ids, '10.244.0.1');
  const ipc = Object.fromEntries(out.ipcache.map((e) => [e.cidr, e.identity]));
  assert.equal(ipc['0.0.0.0/0'], 2);
  assert.equal(ipc['10.244.0.1/32'], 1);
  assert.equal(ipc['10.244.0.3/32'], eps[1]!.identity);
  const wide = ipc['10.0.0.0/8']!;
  const hole = ipc['10.1.0.0/16']!;
  assert.ok(wide > 16777216 && hole > 16777216 && wide !== hole);
  assert.deepEqual(out.entries.map((e) => e.identity), [wide], 'the except CIDR is not denied');
});

test('a policy in another namespace does not select same-labelled endpoints here; no bundle means no enforcement', () => {
  const ids = new IdentityAllocator();
  const eps = lab(ids);
  const out = compilePolicy(bundle(policy('db', sel({ app: 'db' }), { ingress: [] }, 'other')), eps, ids, '10.244.0.1');
  assert.deepEqual(out.enforcing.filter((e) => e.ingress).map((e) => e.endpoint), ['other/db-0']);
  const none = compilePolicy(undefined, eps, ids, '10.244.0.1');
  assert.ok(none.endpoints.every((c) => c.ingressPolicyCookie === 0 && c.egressPolicyCookie === 0));
  assert.equal(none.ipcache.length, 2 + eps.length);
});
