/**
 * Peer and port semantics end to end on the real programs: a policy bundle
 * goes through the agent's compiler (identities, ipcache, entries), into the
 * maps as one atomic apply, and crafted packets run through the datapath with
 * BPF_PROG_TEST_RUN. One rule per feature, each on its own port, so a packet's
 * verdict tells about exactly one rule: every selector operator, namespace
 * scoping, the entities (host, world, cluster, all), CIDR with except
 * (longest prefix wins), rules without a peer, port ranges, protocols,
 * ICMP types and deny precedence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { craftTestPacket, type TestPacketSpec } from '../../src/agent/datapath/test-packet';
import { IdentityAllocator } from '../../src/agent/policy/identity-allocator';
import { compilePolicy, type CompilerEndpoint } from '../../src/agent/policy/map-state';
import { DropReason } from '../../src/protocol/drop-reasons';
import { cookieOf, type Peer, type PolicyBundle, type PortRule, type RuleIR, type SelectorTerm, type SourceLocation } from '../../src/protocol/policy-ir';
import { openTestRunDatapath, type RecordedFlow } from './datapath-fixture';

const TC_ACT_OK = 0;
const NODE_IP = '10.244.0.1';
const WORLD_IP = '192.0.2.1'; // only ever a source address in a crafted packet
const WORLD_EXCEPT_IP = '192.0.2.200';
const src: SourceLocation = { uri: 'file:///t.policy', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } } };

const sel = (...terms: [string, SelectorTerm['operator'], ...string[]][]): Peer =>
  ({ kind: 'selector', selector: { terms: terms.map(([key, operator, ...values]) => ({ key, operator, values })) } });
const tcp = (port: number, endPort?: number): PortRule => (endPort === undefined ? { protocol: 'tcp', port } : { protocol: 'tcp', port, endPort });

function bundle(rules: { action?: 'allow' | 'deny'; peers: Peer[]; ports: PortRule[] }[]): PolicyBundle {
  const ingress: RuleIR[] = rules.map((r, i) => {
    const id = `default/db-in/ingress/${i}`;
    return { id, cookie: cookieOf(id), action: r.action ?? 'allow', direction: 'ingress', peers: r.peers, ports: r.ports, text: `rule ${i}`, source: src };
  });
  return {
    version: 1, workloads: [], expects: [],
    policies: [{
      id: 'default/db-in', cookie: cookieOf('default/db-in'), name: 'db-in', namespace: 'default',
      selector: { terms: [{ key: 'app', operator: 'in', values: ['db'] }] }, ingress, source: src, selectSource: src,
    }],
  };
}

test('selectors, entities, CIDRs, ports and ICMP types: compiler → maps → packets', async (t) => {
  const { dev, dp, flows } = await openTestRunDatapath(t, 'psse');

  const ids = new IdentityAllocator();
  const ep = (name: string, n: number, labels: Record<string, string>, namespace = 'default'): CompilerEndpoint =>
    ({ name: `${namespace}/${name}-0`, endpointId: n, ifname: n === 1 ? dev : `unused${n}`, ip: `10.244.${n}.2`, identity: ids.forLabels(namespace, labels), namespace, labels });
  const db = ep('db', 1, { app: 'db' });
  const web = ep('web', 2, { app: 'web', tier: 'front' });
  const api = ep('api', 3, { app: 'api', tier: 'back' });
  const job = ep('job', 4, { app: 'job' });
  const otherWeb = ep('web', 5, { app: 'web', tier: 'front' }, 'other');
  const endpoints = [db, web, api, job, otherWeb];

  const rules: { action?: 'allow' | 'deny'; peers: Peer[]; ports: PortRule[] }[] = [
    { peers: [sel(['app', 'in', 'web'])], ports: [tcp(1001)] },                      // ==
    { peers: [sel(['app', 'notin', 'web'])], ports: [tcp(1002)] },                   // !=
    { peers: [sel(['app', 'in', 'web', 'api'])], ports: [tcp(1003)] },               // in
    { peers: [sel(['app', 'notin', 'web', 'api'])], ports: [tcp(1004)] },            // notin
    { peers: [sel(['tier', 'exists'])], ports: [tcp(1005)] },                         // exists
    { peers: [sel(['tier', 'notexists'])], ports: [tcp(1006)] },                      // !exists
    { peers: [sel(['app', 'in', 'web', 'api'], ['tier', 'in', 'back'])], ports: [tcp(1007)] }, // AND
    { peers: [], ports: [tcp(1008)] },                                                // no peer
    { peers: [{ kind: 'entity', entity: 'world' }], ports: [tcp(1009)] },
    { peers: [{ kind: 'entity', entity: 'host' }], ports: [tcp(1010)] },
    { peers: [{ kind: 'entity', entity: 'cluster' }], ports: [tcp(1011)] },
    { peers: [{ kind: 'entity', entity: 'all' }], ports: [tcp(1012)] },
    { peers: [{ kind: 'cidr', cidr: '192.0.2.0/24', except: ['192.0.2.128/25'] }], ports: [tcp(1013)] },
    { peers: [sel(['app', 'in', 'web'])], ports: [tcp(2000, 2100)] },               // range
    { peers: [sel(['tier', 'exists'])], ports: [tcp(3000)] },                         // allow …
    { action: 'deny', peers: [sel(['app', 'in', 'api'])], ports: [tcp(3000)] }, // … deny wins
    { peers: [sel(['app', 'in', 'web'])], ports: [{ protocol: 'icmp', icmpType: 8 }] }, // echo-request only
    { peers: [], ports: [{ protocol: 'udp', port: 53 }] },
    { peers: [sel(['app', 'in', 'job'])], ports: [{ protocol: 'any', port: 4000 }] }, // any = tcp + udp
    { peers: [sel(['app', 'in', 'web'], ['io.kubernetes.pod.namespace', 'in', 'other'])], ports: [tcp(5000)] }, // names a namespace
  ];
  const b = bundle(rules);
  const compiled = compilePolicy(b, endpoints, ids, NODE_IP);
  const commit = await dp.applyPolicyState(compiled);
  assert.ok(commit.written > 0 && commit.generation === 1, JSON.stringify(commit));
  await dp.setEndpoints(compiled.endpoints.filter((e) => e.endpointId === db.endpointId));

  let sport = 30000;
  async function verdict(from: string, spec: Partial<TestPacketSpec> & Pick<TestPacketSpec, 'protocol'>): Promise<RecordedFlow> {
    flows.clear();
    const res = await dp.testRun('to_endpoint', dev, craftTestPacket({ src: from, dst: db.ip, sport: sport++, dport: 80, ...spec }));
    const flow = await flows.waitFor(() => true);
    assert.equal(res.retval === TC_ACT_OK, flow.verdict === 'forwarded', 'return code and event agree');
    return flow;
  }
  const allowed = async (from: CompilerEndpoint | string, port: number, proto: 'tcp' | 'udp' = 'tcp') =>
    (await verdict(typeof from === 'string' ? from : from.ip, { protocol: proto, dport: port })).verdict === 'forwarded';

  const table: [string, number, (CompilerEndpoint | string)[], (CompilerEndpoint | string)[]][] = [
    ['==', 1001, [web], [api, job, otherWeb]],
    ['!=', 1002, [api, job], [web]],
    ['in', 1003, [web, api], [job]],
    ['notin', 1004, [job], [web, api]],
    ['exists', 1005, [web, api], [job]],
    ['!exists', 1006, [job], [web, api]],
    ['AND of terms', 1007, [api], [web, job]],
    ['no peer', 1008, [web, WORLD_IP, NODE_IP], []],
    ['world', 1009, [WORLD_IP, WORLD_EXCEPT_IP], [web, NODE_IP]],
    ['host', 1010, [NODE_IP], [web, WORLD_IP]],
    ['cluster', 1011, [web, otherWeb, NODE_IP], [WORLD_IP]],
    ['all', 1012, [web, WORLD_IP], []],
    ['cidr except', 1013, [WORLD_IP], [WORLD_EXCEPT_IP, web]],
    ['namespace named in the selector', 5000, [otherWeb], [web]],
  ];
  for (const [what, port, yes, no] of table) {
    await t.test(`${what} (port ${port})`, async () => {
      for (const p of yes) assert.equal(await allowed(p, port), true, `${typeof p === 'string' ? p : p.name} allowed on ${port}`);
      for (const p of no) {
        const flow = await verdict(typeof p === 'string' ? p : p.ip, { protocol: 'tcp', dport: port });
        assert.equal(flow.verdict, 'dropped', `${typeof p === 'string' ? p : p.name} denied on ${port}`);
        assert.equal(flow.dropReason, DropReason.PolicyDenied);
        assert.equal(flow.cookie, b.policies[0]!.cookie, 'a default deny names the policy');
      }
    });
  }

  await t.test('allowed flows carry the deciding rule cookie', async () => {
    const flow = await verdict(web.ip, { protocol: 'tcp', dport: 1001 });
    assert.equal(flow.cookie, b.policies[0]!.ingress![0]!.cookie);
    assert.equal(flow.remoteIdentity, web.identity);
  });

  await t.test('port range 2000-2100: both ends in, neighbours out', async () => {
    for (const p of [2000, 2050, 2100]) assert.equal(await allowed(web, p), true, `${p}`);
    for (const p of [1999, 2101]) assert.equal(await allowed(web, p), false, `${p}`);
  });

  await t.test('deny wins over an allow of the same port (181 with the deny rule)', async () => {
    assert.equal(await allowed(web, 3000), true);
    const flow = await verdict(api.ip, { protocol: 'tcp', dport: 3000 });
    assert.equal(flow.verdict, 'dropped');
    assert.equal(flow.dropReason, DropReason.PolicyDenyRule);
    assert.equal(flow.cookie, b.policies[0]!.ingress![15]!.cookie);
  });

  await t.test('ICMP types: echo-request allowed, timestamp (13) denied', async () => {
    assert.equal((await verdict(web.ip, { protocol: 'icmp', icmpType: 8, icmpId: 9 })).verdict, 'forwarded');
    assert.equal((await verdict(web.ip, { protocol: 'icmp', icmpType: 13, icmpId: 10 })).verdict, 'dropped');
    assert.equal((await verdict(api.ip, { protocol: 'icmp', icmpType: 8, icmpId: 11 })).verdict, 'dropped');
  });

  await t.test('protocols: udp/53 from anyone; "any" with a port means tcp and udp', async () => {
    assert.equal(await allowed(WORLD_IP, 53, 'udp'), true);
    assert.equal(await allowed(WORLD_IP, 53, 'tcp'), false);
    assert.equal(await allowed(job, 4000, 'tcp'), true);
    assert.equal(await allowed(job, 4000, 'udp'), true);
    assert.equal(await allowed(web, 4000, 'udp'), false);
  });
});
