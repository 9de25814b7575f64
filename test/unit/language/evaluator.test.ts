import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { compileText, newServices } from './helpers.js';
import { trace, UnknownWorkloadError, type TraceProtocol } from '../../../src/language-server/evaluator.js';
import type { PolicyBundle } from '../../../src/protocol/policy-ir.js';

const services = newServices();

const WORKLOADS = `workload frontend { labels { app: "frontend", tier: "web" } replicas 2 }
workload backend  { labels { app: "backend", tier: "api" } }
workload db       { labels { app: "db" } }
`;

async function bundleOf(policies: string): Promise<PolicyBundle> {
  return compileText(services, WORKLOADS + policies);
}

function verdict(bundle: PolicyBundle, from: string, to: string, port: number | undefined, protocol: TraceProtocol): string {
  return trace(bundle, from, to, port, protocol).verdict;
}

test('every expect of the example holds statically', async () => {
  const text = fs.readFileSync(new URL('../../../examples/shop.policy', import.meta.url), 'utf8');
  const bundle = await compileText(services, text);
  assert.ok(bundle.expects.length >= 5);
  for (const e of bundle.expects) assert.equal(trace(bundle, e.from, e.to, e.port, e.protocol as TraceProtocol).verdict, e.verdict, e.text);
});

test('no policy: default allow in both directions', async () => {
  const bundle = await bundleOf('');
  const result = trace(bundle, 'frontend', 'db', 5432, 'tcp');
  assert.equal(result.verdict, 'allowed');
  assert.deepEqual(result.decidedBy, { kind: 'default-allow' });
});

test('a policy selecting the destination puts its ingress in default deny, explained at the select line', async () => {
  const bundle = await bundleOf('policy db-in {\n  select app == "db"\n  ingress { allow from app == "backend" port 5432/tcp }\n}\n');
  assert.equal(verdict(bundle, 'backend', 'db', 5432, 'tcp'), 'allowed');
  assert.equal(verdict(bundle, 'backend', 'db', 5433, 'tcp'), 'denied');
  assert.equal(verdict(bundle, 'backend', 'db', 5432, 'udp'), 'denied');
  const denied = trace(bundle, 'frontend', 'db', 5432, 'tcp');
  assert.equal(denied.verdict, 'denied');
  assert.equal(denied.decidedBy.kind, 'default-deny');
  assert.ok(denied.decidedBy.kind === 'default-deny' && denied.decidedBy.policyId === 'default/db-in' && denied.decidedBy.source.range.start.line === 4);
  // Egress of db is untouched: only ingress has a block.
  assert.equal(verdict(bundle, 'db', 'frontend', 80, 'tcp'), 'allowed');
  const allowed = trace(bundle, 'backend', 'db', 5432, 'tcp');
  assert.ok(allowed.decidedBy.kind === 'rule' && allowed.decidedBy.ruleId === 'default/db-in/ingress/0');
});

test('an empty block denies everything in that direction', async () => {
  const bundle = await bundleOf('policy lock { select app == "frontend" egress { } }\n');
  const result = trace(bundle, 'frontend', 'backend', 80, 'tcp');
  assert.equal(result.verdict, 'denied');
  assert.ok(result.decidedBy.kind === 'default-deny' && result.decidedBy.direction === 'egress');
  assert.equal(verdict(bundle, 'backend', 'frontend', 80, 'tcp'), 'allowed');
});

test('egress of the source is checked before ingress of the destination; both must allow', async () => {
  const bundle = await bundleOf(`policy fe-out { select app == "frontend" egress { allow to app == "backend" port 8080/tcp } }
policy be-in { select app == "backend" ingress { allow from tier == "web" port 8000-8100/tcp } }
`);
  assert.equal(verdict(bundle, 'frontend', 'backend', 8080, 'tcp'), 'allowed');
  const egressDenied = trace(bundle, 'frontend', 'db', 5432, 'tcp');
  assert.ok(egressDenied.decidedBy.kind === 'default-deny' && egressDenied.decidedBy.policyId === 'default/fe-out');
  assert.equal(verdict(bundle, 'frontend', 'backend', 8090, 'tcp'), 'denied');
  const ingressDenied = trace(bundle, 'db', 'backend', 8080, 'tcp');
  assert.ok(ingressDenied.decidedBy.kind === 'default-deny' && ingressDenied.decidedBy.policyId === 'default/be-in');
});

test('deny wins over allow, across policies and regardless of order', async () => {
  const bundle = await bundleOf(`policy a { select app == "backend" ingress { allow from tier exists } }
policy b { select tier == "api" ingress { deny from app == "frontend" port 9000-9100/tcp } }
`);
  assert.equal(verdict(bundle, 'db', 'backend', 9050, 'tcp'), 'denied', 'db has no tier label');
  assert.equal(verdict(bundle, 'frontend', 'backend', 8080, 'tcp'), 'allowed');
  const result = trace(bundle, 'frontend', 'backend', 9100, 'tcp');
  assert.equal(result.verdict, 'denied');
  assert.ok(result.decidedBy.kind === 'rule' && result.decidedBy.action === 'deny' && result.decidedBy.ruleId === 'default/b/ingress/0');
  assert.equal(verdict(bundle, 'frontend', 'backend', 9101, 'tcp'), 'allowed');
});

test('entities: workloads are in cluster and all, never host or world; CIDRs never match workloads', async () => {
  const bundle = await bundleOf(`policy c { select app == "db" ingress { allow from entity cluster port 1/tcp
  allow from entity all port 2/tcp
  allow from entity host port 3/tcp
  allow from entity world port 4/tcp
  allow from cidr 0.0.0.0/0 port 5/tcp } }
`);
  assert.deepEqual([1, 2, 3, 4, 5].map((p) => verdict(bundle, 'backend', 'db', p, 'tcp')), ['allowed', 'allowed', 'denied', 'denied', 'denied']);
});

test('protocols: icmp, udp, any, and a rule without ports', async () => {
  const bundle = await bundleOf(`policy p { select app == "db" ingress {
  allow from app == "frontend" port icmp
  allow from app == "backend" port 53/any
  allow from app == "db"
} }
`);
  assert.equal(verdict(bundle, 'frontend', 'db', undefined, 'icmp'), 'allowed');
  assert.equal(verdict(bundle, 'frontend', 'db', 53, 'udp'), 'denied');
  assert.equal(verdict(bundle, 'backend', 'db', 53, 'udp'), 'allowed');
  assert.equal(verdict(bundle, 'backend', 'db', 53, 'tcp'), 'allowed');
  assert.equal(verdict(bundle, 'backend', 'db', undefined, 'icmp'), 'denied', '53/any is tcp and udp, not icmp');
  assert.equal(verdict(bundle, 'db', 'db', 1234, 'udp'), 'allowed');
  assert.equal(verdict(bundle, 'db', 'db', undefined, 'icmp'), 'allowed');
});

test('selector operators: notin, !=, !exists', async () => {
  const bundle = await bundleOf(`policy p { select app == "db" ingress {
  allow from tier notin ("web") port 1/tcp
  allow from app != "backend" port 2/tcp
  allow from tier !exists port 3/tcp
} }
`);
  assert.deepEqual(['frontend', 'backend', 'db'].map((w) => verdict(bundle, w, 'db', 1, 'tcp')), ['denied', 'allowed', 'allowed']);
  assert.deepEqual(['frontend', 'backend', 'db'].map((w) => verdict(bundle, w, 'db', 2, 'tcp')), ['allowed', 'denied', 'allowed']);
  assert.deepEqual(['frontend', 'backend', 'db'].map((w) => verdict(bundle, w, 'db', 3, 'tcp')), ['denied', 'denied', 'allowed']);
});

test('policies only select workloads of their namespace', async () => {
  const bundle = await compileText(services, `namespace shop {
  workload db { labels { app: "db" } }
  policy lock { select app == "db" ingress { } }
}
workload db { labels { app: "db" } }
workload client { }
`);
  assert.equal(verdict(bundle, 'client', 'shop/db', 80, 'tcp'), 'denied');
  assert.equal(verdict(bundle, 'client', 'db', 80, 'tcp'), 'allowed');
  assert.throws(() => trace(bundle, 'nobody', 'db', 80, 'tcp'), UnknownWorkloadError);
});

test('a select naming another namespace still selects only its own namespace (as Cilium and the agent do)', async () => {
  const bundle = await compileText(services, `namespace shop {
  workload db { labels { app: "db" } }
  policy reach-out { select "io.kubernetes.pod.namespace" == "default" ingress { } }
}
workload db { labels { app: "db" } }
workload client { }
`);
  // The policy lives in `shop`: it cannot put `default/db` into default deny.
  assert.equal(verdict(bundle, 'client', 'db', 80, 'tcp'), 'allowed');
  assert.equal(verdict(bundle, 'client', 'shop/db', 80, 'tcp'), 'allowed');
});
