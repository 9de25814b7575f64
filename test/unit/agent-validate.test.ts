import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseError } from 'vscode-jsonrpc';
import { AgentErrorCode } from '../../src/protocol/agent-rpc';
import { validateLabApply, validatePolicyApply, validateProbe } from '../../src/agent/rpc/validate';

function rejects(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof ResponseError && e.code === AgentErrorCode.BadRequest && message.test(e.message));
}

const loc = { uri: 'file:///a.policy', range: { start: { line: 1, character: 0 }, end: { line: 1, character: 5 } } };
const bundle = (rule: Record<string, unknown>) => ({
  version: 1, workloads: [], expects: [],
  policies: [{ id: 'default/p', cookie: 7, name: 'p', namespace: 'default', selector: { terms: [] }, source: loc, selectSource: loc, ingress: [{ id: 'default/p/ingress/0', cookie: 8, action: 'allow', direction: 'ingress', peers: [], ports: [], text: 't', source: loc, ...rule }] }],
});

test('lab/apply: names that could reach a shell, a path or a netns name are refused with the field named', () => {
  rejects(() => validateLabApply({ lab: 'x;rm', workloads: [] }), /^lab: /);
  rejects(() => validateLabApply({ lab: 'toolongname', workloads: [] }), /^lab: /);
  rejects(() => validateLabApply({ workloads: [{ name: '../etc' }] }), /^workloads\[0\]\.name: /);
  rejects(() => validateLabApply({ workloads: [{ name: 'a', namespace: 'A B' }] }), /^workloads\[0\]\.namespace: /);
  rejects(() => validateLabApply({ workloads: [{ name: 'a', labels: { app: 'x y' } }] }), /^workloads\[0\]\.labels\.app: /);
  rejects(() => validateLabApply({ workloads: [{ name: 'a' }, { name: 'a' }] }), /declared twice/);
  rejects(() => validateLabApply({ workloads: [{ name: 'a', replicas: 17 }] }), /replicas: 17 is out of range/);
  assert.deepEqual(validateLabApply({ workloads: [{ name: 'web', labels: { 'app.kubernetes.io/name': 'web' } }] }),
    { workloads: [{ name: 'web', namespace: 'default', labels: { 'app.kubernetes.io/name': 'web' }, replicas: 1 }] });
});

test('lab/probe: protocol, port and workload references are checked', () => {
  rejects(() => validateProbe({ from: 'a', to: 'b', protocol: 'sctp', port: 1 }), /^protocol: /);
  rejects(() => validateProbe({ from: 'a', to: 'b', protocol: 'tcp' }), /^port: expected an integer/);
  rejects(() => validateProbe({ from: 'a', to: 'b', protocol: 'icmp', port: 1 }), /^port: ICMP/);
  rejects(() => validateProbe({ from: 'a b', to: 'b', protocol: 'icmp' }), /^from: /);
  assert.deepEqual(validateProbe({ from: 'shop/a', to: 'b', protocol: 'udp', port: 53, timeoutMs: 500 }), { from: 'shop/a', to: 'b', protocol: 'udp', port: 53, timeoutMs: 500 });
});

test('policy/apply: the IR is checked down to CIDRs, ports and cookies', () => {
  assert.equal(validatePolicyApply({ bundle: bundle({}) }).bundle.policies[0]!.ingress!.length, 1);
  rejects(() => validatePolicyApply({ bundle: { ...bundle({}), version: 2 } }), /^bundle\.version: /);
  rejects(() => validatePolicyApply({ bundle: bundle({ cookie: 0 }) }), /ingress\[0\]\.cookie: 0 is out of range/);
  rejects(() => validatePolicyApply({ bundle: bundle({ peers: [{ kind: 'cidr', cidr: '10.0.0.0/33', except: [] }] }) }), /peers\[0\]\.cidr: /);
  rejects(() => validatePolicyApply({ bundle: bundle({ peers: [{ kind: 'cidr', cidr: '10.0.0.0/8', except: ['11.0.0.0/16'] }] }) }), /except\[0\]: 11\.0\.0\.0\/16 is not inside/);
  rejects(() => validatePolicyApply({ bundle: bundle({ ports: [{ protocol: 'tcp', port: 90, endPort: 80 }] }) }), /endPort: 80 is out of range/);
  rejects(() => validatePolicyApply({ bundle: bundle({ direction: 'egress' }) }), /direction: a rule in the ingress block says egress/);
  rejects(() => validatePolicyApply({ bundle: bundle({ peers: [{ kind: 'entity', entity: 'moon' }] }) }), /entity: expected one of/);
});
