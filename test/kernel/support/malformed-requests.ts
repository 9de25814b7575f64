/**
 * Requests an agent must refuse with a JSON-RPC error and survive: wrong
 * shapes, impossible values, unknown workloads, names built to break out of a
 * shell or a netns path, oversized and deeply nested input. Each entry is a
 * method and params that no correct validator may accept.
 */
import { POLICY_IR_VERSION, type PolicyBundle } from '../../../src/protocol/policy-ir';

export interface MalformedRequest { method: string; params: unknown; why: string }

/** Deeply nested arrays: a recursive validator or JSON.parse limit must not take the agent down. */
function nested(depth: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** `valid` with one field replaced by a broken value, at a path such as policies.0.ingress.0.ports.0.port. */
function withField(valid: PolicyBundle, path: string, value: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(valid)) as Record<string, unknown>;
  const keys = path.split('.');
  let node: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) node = node[k] as Record<string, unknown>;
  node[keys[keys.length - 1]!] = value;
  return copy;
}

export function malformedRequests(valid: PolicyBundle, knownWorkload: string): MalformedRequest[] {
  const rule = 'policies.0.ingress.0';
  const bundleCases: [string, unknown][] = [
    ['version', 99], ['version', '1'], ['version', null], ['policies', 'all'], ['policies', [null]], ['policies', {}],
    ['policies.0.cookie', 0], ['policies.0.cookie', 2 ** 32], ['policies.0.cookie', -1], ['policies.0.cookie', 1.5],
    ['policies.0.namespace', '../etc'], ['policies.0.namespace', 'a;reboot'], ['policies.0.selector', 'app=db'],
    ['policies.0.selector.terms', [{ key: 'app', operator: 'like', values: ['x'] }]],
    ['policies.0.selector.terms', [{ key: 'app', operator: 'in', values: [] }]],
    ['policies.0.selector.terms', [{ key: 'app', operator: 'in', values: [7] }]],
    ['policies.0.source', null], ['policies.0.selectSource.range.start.line', -4],
    [`${rule}.action`, 'permit'], [`${rule}.direction`, 'egress'], [`${rule}.cookie`, 'abc'],
    [`${rule}.peers`, [{ kind: 'cidr', cidr: '10.0.0.0/33', except: [] }]],
    [`${rule}.peers`, [{ kind: 'cidr', cidr: '300.1.1.1/8', except: [] }]],
    [`${rule}.peers`, [{ kind: 'cidr', cidr: '10.0.0.0/8', except: ['192.168.0.0/16'] }]],
    [`${rule}.peers`, [{ kind: 'cidr', cidr: '$(reboot)', except: [] }]],
    [`${rule}.peers`, [{ kind: 'entity', entity: 'universe' }]],
    [`${rule}.peers`, [{ kind: 'ip', ip: '1.2.3.4' }]],
    [`${rule}.ports`, [{ protocol: 'sctp', port: 5 }]], [`${rule}.ports`, [{ protocol: 'tcp', port: 70000 }]],
    [`${rule}.ports`, [{ protocol: 'tcp', port: 0 }]], [`${rule}.ports`, [{ protocol: 'tcp', port: 9000, endPort: 80 }]],
    [`${rule}.ports`, [{ protocol: 'tcp', endPort: 80 }]], [`${rule}.ports`, [{ protocol: 'icmp', port: 8 }]],
    [`${rule}.ports`, [{ protocol: 'udp', icmpType: 8 }]], [`${rule}.ports`, [{ protocol: 'icmp', icmpType: 256 }]],
    [`${rule}.ports`, nested(2000)], [`${rule}.id`, 'default/server-in'],
    ['workloads', [{ name: 'a b', labels: {} }]], ['workloads', [{ name: 'ok', replicas: -1 }]],
  ];
  const out: MalformedRequest[] = bundleCases.map(([path, value]) => ({
    method: 'policy/apply', params: { bundle: withField(valid, path, value) }, why: `bundle.${path} = ${JSON.stringify(value)?.slice(0, 40)}`,
  }));
  out.push(
    { method: 'policy/apply', params: null, why: 'no params' },
    { method: 'policy/apply', params: { bundle: 'x'.repeat(1 << 20) }, why: 'a 1 MiB string for a bundle' },
    { method: 'policy/apply', params: { bundle: { version: POLICY_IR_VERSION, policies: nested(3000) } }, why: 'policies nested 3,000 deep' },
    { method: 'lab/apply', params: { lab: 'x;rm -rf /', workloads: [] }, why: 'shell text as a lab name' },
    { method: 'lab/apply', params: { lab: '../../etc', workloads: [] }, why: 'a path as a lab name' },
    { method: 'lab/apply', params: { workloads: [{ name: '$(reboot)', namespace: 'default', labels: {}, replicas: 1 }] }, why: 'shell text as a workload name' },
    { method: 'lab/apply', params: { workloads: [{ name: 'a', namespace: 'default/../x', labels: {}, replicas: 1 }] }, why: 'a path as a namespace' },
    { method: 'lab/apply', params: { workloads: [{ name: 'a', namespace: 'default', labels: { 'k`id`': 'v' }, replicas: 1 }] }, why: 'a backquote in a label key' },
    { method: 'lab/apply', params: { workloads: [{ name: 'a', namespace: 'default', labels: {}, replicas: 1e9 }] }, why: 'a billion replicas' },
    { method: 'lab/apply', params: { workloads: 'all' }, why: 'workloads not a list' },
    { method: 'lab/probe', params: { from: knownWorkload, to: 'nosuch', protocol: 'tcp', port: 80 }, why: 'unknown destination' },
    { method: 'lab/probe', params: { from: 'nosuch', to: knownWorkload, protocol: 'udp', port: 80 }, why: 'unknown source' },
    { method: 'lab/probe', params: { from: knownWorkload, to: knownWorkload, protocol: 'tcp', port: -1 }, why: 'negative port' },
    { method: 'lab/probe', params: { from: knownWorkload, to: knownWorkload, protocol: 'icmp', port: 1 }, why: 'ICMP with a port' },
    { method: 'lab/probe', params: { from: `${knownWorkload};id`, to: knownWorkload, protocol: 'tcp', port: 1 }, why: 'shell text as a workload' },
    { method: 'lab/probe', params: { from: knownWorkload, to: knownWorkload, protocol: 'tcp', port: 1, timeoutMs: 1e12 }, why: 'absurd timeout' },
    { method: 'datapath/load', params: { force: 'yes' }, why: 'force not a boolean' },
    { method: 'flows/subscribe', params: { traceAll: 1 }, why: 'traceAll not a boolean' },
    { method: 'agent/hello', params: { clientVersion: 'x', protocolVersion: 999 }, why: 'unknown protocol version' },
    { method: 'agent/hello', params: [1, 2, 3], why: 'positional params' },
    { method: 'lab/nosuch', params: {}, why: 'unknown method' },
  );
  return out;
}

/** Frames that are not valid JSON-RPC at all, written straight onto the agent's stdin (valid headers, broken bodies). */
export function malformedFrames(): string[] {
  const bodies = [
    '{"jsonrpc":"2.0","id":1,"method":', 'not json at all', '[]', '42', 'null',
    '{"jsonrpc":"2.0","id":{"a":1},"method":"lab/status"}', '{"jsonrpc":"1.0","id":7,"method":"agent/hello","params":{}}',
    '{"jsonrpc":"2.0","method":"policy/apply","params":{"bundle":7}}', '\u0000\u0001\u0002',
  ];
  return bodies.map((b) => `Content-Length: ${Buffer.byteLength(b)}\r\n\r\n${b}`);
}
