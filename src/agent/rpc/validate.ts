/**
 * Validation of every RPC parameter. Requests come from another process (and
 * later over SSH), so nothing is trusted: each check throws a BadRequest
 * whose message names the field and the problem, and nothing unchecked ever
 * reaches a command line, a path or a BPF map.
 */
import { ResponseError } from 'vscode-jsonrpc';
import {
  AgentErrorCode, AGENT_PROTOCOL_VERSION,
  type FlowsSubscribeParams, type FlowsTraceAllParams, type DatapathLocalDeliveryParams, type HelloParams, type MapsDumpParams, type LabApplyParams, type LabWorkloadSpec, type ProbeParams, type PolicyPatchParams,
} from '../../protocol/agent-rpc';
import {
  POLICY_IR_VERSION,
  type LabelSelector, type Labels, type Peer, type PolicyBundle, type PolicyIR, type PortRule, type RuleIR, type SelectorTerm, type SourceLocation,
} from '../../protocol/policy-ir';
import { cidrContains, cidrText, parseCidr, tryParseCidr } from '../../protocol/cidr';
import { DEFAULT_NAMESPACE, DNS_LABEL_PATTERN, LAB_NAME_PATTERN } from '../lab/names';

export const MAX_REPLICAS = 16;
export const MAX_ENDPOINTS = 250;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
/** `name` or `<namespace>/<name>` */
const WORKLOAD_REF = /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\/)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function badRequest(message: string): ResponseError<void> {
  return new ResponseError(AgentErrorCode.BadRequest, message);
}

type Obj = Record<string, unknown>;

function obj(v: unknown, field: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badRequest(`${field}: expected an object, got ${describe(v)}`);
  return v as Obj;
}

/** Params of a method whose params are all optional: absent, null or an object. */
function optionalObj(v: unknown, field: string): Obj {
  return v === undefined || v === null ? {} : obj(v, field);
}

function arr(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) throw badRequest(`${field}: expected an array, got ${describe(v)}`);
  return v;
}

function str(v: unknown, field: string, pattern?: RegExp, hint?: string): string {
  if (typeof v !== 'string') throw badRequest(`${field}: expected a string, got ${describe(v)}`);
  if (pattern && !pattern.test(v)) throw badRequest(`${field}: ${JSON.stringify(v)} is not valid${hint ? ` (${hint})` : ''}`);
  return v;
}

function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw badRequest(`${field}: expected an integer, got ${describe(v)}`);
  if (v < min || v > max) throw badRequest(`${field}: ${v} is out of range ${min}..${max}`);
  return v;
}

function bool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') throw badRequest(`${field}: expected true or false, got ${describe(v)}`);
  return v;
}

function oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw badRequest(`${field}: expected one of ${allowed.join(', ')}, got ${describe(v)}`);
  }
  return v as T;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

export function labName(v: unknown, field = 'lab'): string {
  return str(v, field, LAB_NAME_PATTERN, 'a lowercase letter then up to 7 lowercase letters or digits, e.g. "studio"');
}

export function validateHello(v: unknown): HelloParams {
  const o = obj(v, 'params');
  const clientVersion = str(o.clientVersion, 'clientVersion');
  const protocolVersion = int(o.protocolVersion, 'protocolVersion', 0, 1_000_000);
  if (protocolVersion !== AGENT_PROTOCOL_VERSION) {
    throw badRequest(`protocolVersion: the client speaks ${protocolVersion}, this agent speaks ${AGENT_PROTOCOL_VERSION}; update the agent or the extension`);
  }
  return { clientVersion, protocolVersion };
}

export function labels(v: unknown, field: string): Labels {
  const o = obj(v, field);
  const out: Labels = {};
  for (const [k, val] of Object.entries(o)) {
    if (!LABEL_KEY.test(k)) throw badRequest(`${field}: label key ${JSON.stringify(k)} is not a valid Kubernetes label key`);
    out[k] = str(val, `${field}.${k}`, LABEL_VALUE, 'at most 63 letters, digits, "-", "_" or "."');
  }
  return out;
}

export function validateLabApply(v: unknown): LabApplyParams {
  const o = obj(v, 'params');
  const lab = o.lab === undefined ? undefined : labName(o.lab);
  const list = arr(o.workloads, 'workloads');
  const seen = new Set<string>();
  let total = 0;
  const workloads = list.map((w, i): LabWorkloadSpec => {
    const f = `workloads[${i}]`;
    const wo = obj(w, f);
    const name = str(wo.name, `${f}.name`, DNS_LABEL_PATTERN, 'a DNS label: lowercase letters, digits and "-"');
    const namespace = wo.namespace === undefined ? DEFAULT_NAMESPACE : str(wo.namespace, `${f}.namespace`, DNS_LABEL_PATTERN, 'a DNS label');
    const replicas = wo.replicas === undefined ? 1 : int(wo.replicas, `${f}.replicas`, 0, MAX_REPLICAS);
    const key = `${namespace}/${name}`;
    if (seen.has(key)) throw badRequest(`${f}.name: workload ${key} is declared twice`);
    seen.add(key);
    total += replicas;
    return { name, namespace, labels: labels(wo.labels ?? {}, `${f}.labels`), replicas };
  });
  if (total > MAX_ENDPOINTS) throw badRequest(`workloads: ${total} endpoints requested, a lab holds at most ${MAX_ENDPOINTS}`);
  return lab === undefined ? { workloads } : { lab, workloads };
}

export function validateDatapathLoad(v: unknown): { force?: boolean } {
  const o = optionalObj(v, 'params');
  return o.force === undefined ? {} : { force: bool(o.force, 'force') };
}

export function validateFlowsSubscribe(v: unknown): FlowsSubscribeParams {
  const o = optionalObj(v, 'params');
  const out: FlowsSubscribeParams = {};
  if (o.traceAll !== undefined) out.traceAll = bool(o.traceAll, 'traceAll');
  // Flows travel only as flows/batchPacked now; a client that asks for another form learns it here, not from missing batches.
  if (o.compact !== undefined && bool(o.compact, 'compact')) throw badRequest('compact: flows/batchCompact is gone; flows are sent only as flows/batchPacked (omit compact)');
  if (o.packed !== undefined && !bool(o.packed, 'packed')) throw badRequest('packed: false asks for flows/batch, which is gone; flows are sent only as flows/batchPacked (omit packed)');
  return out;
}

export function validateProbe(v: unknown): ProbeParams {
  const o = obj(v, 'params');
  const from = str(o.from, 'from', WORKLOAD_REF, 'a workload name or <namespace>/<name>');
  const to = str(o.to, 'to', WORKLOAD_REF, 'a workload name or <namespace>/<name>');
  const protocol = oneOf(o.protocol, 'protocol', ['tcp', 'udp', 'icmp'] as const);
  const out: ProbeParams = { from, to, protocol };
  if (protocol !== 'icmp') out.port = int(o.port, 'port', 1, 65535);
  else if (o.port !== undefined) throw badRequest('port: ICMP probes take no port');
  if (o.timeoutMs !== undefined) out.timeoutMs = int(o.timeoutMs, 'timeoutMs', 100, 30_000);
  return out;
}

export function validatePolicyApply(v: unknown): { bundle: PolicyBundle } {
  const o = obj(v, 'params');
  return { bundle: validateBundle(o.bundle, 'bundle') };
}

/** policy/patch params: the upserted policies get the same checks as in a full bundle; ids across the result are checked on merge (bundle-patch.ts). */
export function validatePolicyPatch(v: unknown): PolicyPatchParams {
  const o = obj(v, 'params');
  const baseGeneration = int(o.baseGeneration, 'params.baseGeneration', 0, 0xffffffff);
  const ids = new Set<string>();
  const upsert = arr(o.upsert ?? [], 'params.upsert').map((p, i) => policy(p, `params.upsert[${i}]`, ids));
  const remove = arr(o.remove ?? [], 'params.remove').map((x, i) => str(x, `params.remove[${i}]`));
  return { baseGeneration, upsert, remove };
}

function validateBundle(v: unknown, f: string): PolicyBundle {
  const o = obj(v, f);
  if (o.version !== POLICY_IR_VERSION) throw badRequest(`${f}.version: expected ${POLICY_IR_VERSION}, got ${describe(o.version)}; the language server and the agent disagree on the policy IR`);
  // Workloads and expects are not the agent's to act on in policy/apply (lab/apply and probes take them),
  // but they are kept with the bundle, so their shape must be right.
  const workloads = arr(o.workloads ?? [], `${f}.workloads`).map((w, i) => {
    const wf = `${f}.workloads[${i}]`;
    const wo = obj(w, wf);
    return {
      name: str(wo.name, `${wf}.name`, DNS_LABEL_PATTERN),
      namespace: str(wo.namespace ?? DEFAULT_NAMESPACE, `${wf}.namespace`, DNS_LABEL_PATTERN),
      labels: labels(wo.labels ?? {}, `${wf}.labels`),
      replicas: int(wo.replicas ?? 1, `${wf}.replicas`, 0, MAX_REPLICAS),
      source: source(wo.source, `${wf}.source`),
    };
  });
  const ids = new Set<string>();
  const policies = arr(o.policies, `${f}.policies`).map((p, i) => policy(p, `${f}.policies[${i}]`, ids));
  const expects = arr(o.expects ?? [], `${f}.expects`) as PolicyBundle['expects'];
  return { version: POLICY_IR_VERSION, workloads, policies, expects };
}

function policy(v: unknown, f: string, ids: Set<string>): PolicyIR {
  const o = obj(v, f);
  const id = str(o.id, `${f}.id`);
  if (ids.has(id)) throw badRequest(`${f}.id: ${JSON.stringify(id)} is used twice`);
  ids.add(id);
  const out: PolicyIR = {
    id,
    cookie: cookie(o.cookie, `${f}.cookie`),
    name: str(o.name, `${f}.name`),
    namespace: str(o.namespace ?? DEFAULT_NAMESPACE, `${f}.namespace`, DNS_LABEL_PATTERN, 'a DNS label'),
    selector: selector(o.selector, `${f}.selector`),
    source: source(o.source, `${f}.source`),
    selectSource: source(o.selectSource, `${f}.selectSource`),
  };
  for (const dir of ['ingress', 'egress'] as const) {
    if (o[dir] !== undefined && o[dir] !== null) out[dir] = arr(o[dir], `${f}.${dir}`).map((r, i) => rule(r, `${f}.${dir}[${i}]`, dir, ids));
  }
  return out;
}

function rule(v: unknown, f: string, dir: 'ingress' | 'egress', ids: Set<string>): RuleIR {
  const o = obj(v, f);
  const id = str(o.id, `${f}.id`);
  if (ids.has(id)) throw badRequest(`${f}.id: ${JSON.stringify(id)} is used twice`);
  ids.add(id);
  const direction = oneOf(o.direction ?? dir, `${f}.direction`, ['ingress', 'egress'] as const);
  if (direction !== dir) throw badRequest(`${f}.direction: a rule in the ${dir} block says ${direction}`);
  return {
    id,
    cookie: cookie(o.cookie, `${f}.cookie`),
    action: oneOf(o.action, `${f}.action`, ['allow', 'deny'] as const),
    direction,
    peers: arr(o.peers ?? [], `${f}.peers`).map((p, i) => peer(p, `${f}.peers[${i}]`)),
    ports: arr(o.ports ?? [], `${f}.ports`).map((p, i) => port(p, `${f}.ports[${i}]`)),
    text: str(o.text ?? '', `${f}.text`),
    source: source(o.source, `${f}.source`),
  };
}

function peer(v: unknown, f: string): Peer {
  const o = obj(v, f);
  const kind = oneOf(o.kind, `${f}.kind`, ['selector', 'entity', 'cidr'] as const);
  switch (kind) {
    case 'selector': return { kind, selector: selector(o.selector, `${f}.selector`) };
    case 'entity': return { kind, entity: oneOf(o.entity, `${f}.entity`, ['host', 'world', 'cluster', 'all'] as const) };
    case 'cidr': {
      const c = cidr(o.cidr, `${f}.cidr`);
      const except = arr(o.except ?? [], `${f}.except`).map((x, i) => {
        const e = cidr(x, `${f}.except[${i}]`);
        if (!cidrContains(parseCidr(c), parseCidr(e))) throw badRequest(`${f}.except[${i}]: ${e} is not inside ${c}`);
        return e;
      });
      return { kind, cidr: c, except };
    }
  }
}

function cidr(v: unknown, f: string): string {
  const s = str(v, f);
  const c = tryParseCidr(s);
  if (c instanceof Error) throw badRequest(`${f}: ${c.message}`);
  return cidrText(c);
}

function port(v: unknown, f: string): PortRule {
  const o = obj(v, f);
  const protocol = oneOf(o.protocol ?? 'any', `${f}.protocol`, ['tcp', 'udp', 'icmp', 'any'] as const);
  const out: PortRule = { protocol };
  if (o.port !== undefined) {
    if (protocol === 'icmp') throw badRequest(`${f}.port: ICMP has no ports (use icmpType)`);
    out.port = int(o.port, `${f}.port`, 1, 65535);
  }
  if (o.endPort !== undefined) {
    if (out.port === undefined) throw badRequest(`${f}.endPort: a range needs a start port`);
    out.endPort = int(o.endPort, `${f}.endPort`, out.port, 65535);
  }
  if (o.icmpType !== undefined) {
    if (protocol !== 'icmp') throw badRequest(`${f}.icmpType: only ICMP rules have a type`);
    out.icmpType = int(o.icmpType, `${f}.icmpType`, 0, 255);
  }
  return out;
}

function selector(v: unknown, f: string): LabelSelector {
  const o = obj(v, f);
  const terms = arr(o.terms ?? [], `${f}.terms`).map((t, i): SelectorTerm => {
    const tf = `${f}.terms[${i}]`;
    const to = obj(t, tf);
    const key = str(to.key, `${tf}.key`);
    const operator = oneOf(to.operator, `${tf}.operator`, ['in', 'notin', 'exists', 'notexists'] as const);
    const values = arr(to.values ?? [], `${tf}.values`).map((x, j) => str(x, `${tf}.values[${j}]`));
    if ((operator === 'in' || operator === 'notin') && values.length === 0) throw badRequest(`${tf}.values: "${operator}" needs at least one value`);
    return { key, operator, values };
  });
  return { terms };
}

function cookie(v: unknown, f: string): number {
  return int(v, f, 1, 0xffffffff);
}

function source(v: unknown, f: string): SourceLocation {
  const o = obj(v, f);
  const range = obj(o.range, `${f}.range`);
  const pos = (p: unknown, pf: string) => {
    const po = obj(p, pf);
    return { line: int(po.line, `${pf}.line`, 0, 10_000_000), character: int(po.character, `${pf}.character`, 0, 10_000_000) };
  };
  return { uri: str(o.uri, `${f}.uri`), range: { start: pos(range.start, `${f}.range.start`), end: pos(range.end, `${f}.range.end`) } };
}

export function validateDatapathLocalDelivery(v: unknown): DatapathLocalDeliveryParams {
  const o = obj(v, 'params');
  if (o.mode !== 'direct' && o.mode !== 'routed') throw badRequest(`mode: expected "direct" or "routed", got ${describe(o.mode)}`);
  return { mode: o.mode };
}

export function validateFlowsTraceAll(v: unknown): FlowsTraceAllParams {
  const o = obj(v, 'params');
  return { traceAll: bool(o.traceAll, 'traceAll') };
}

export const MAPS_DUMP_DEFAULT_LIMIT = 500;
export const MAPS_DUMP_MAX_LIMIT = 10_000;
const MAP_NAME = /^ps_[a-z0-9_]{1,12}$/;
/** `<map>:<base64url of the last key's JSON>` (maps/map-view.ts); a key is a small object, so 1 KiB is plenty. */
const CURSOR = /^ps_[a-z0-9_]{1,12}:[A-Za-z0-9_-]{2,1024}$/;

function isKeyJson(text: string): boolean {
  try {
    const key: unknown = JSON.parse(text);
    return typeof key === 'object' && key !== null && !Array.isArray(key);
  } catch {
    return false;
  }
}

export function validateMapsDump(v: unknown): MapsDumpParams {
  const o = optionalObj(v, 'params');
  const out: MapsDumpParams = {};
  if (o.map !== undefined) out.map = str(o.map, 'map', MAP_NAME, 'a datapath map name such as "ps_ct"');
  if (o.cursor !== undefined) {
    out.cursor = str(o.cursor, 'cursor', CURSOR, 'pass back the nextCursor of an earlier answer');
    const cursorMap = out.cursor.slice(0, out.cursor.indexOf(':'));
    if (!isKeyJson(Buffer.from(out.cursor.slice(cursorMap.length + 1), 'base64url').toString('utf8'))) {
      throw badRequest('cursor: not a cursor this agent gave out; pass back the nextCursor of an earlier answer');
    }
    if (out.map !== undefined && out.map !== cursorMap) throw badRequest(`cursor: belongs to ${cursorMap}, not ${out.map}`);
    out.map = cursorMap;
  }
  if (o.limit !== undefined) out.limit = int(o.limit, 'limit', 1, MAPS_DUMP_MAX_LIMIT);
  return out;
}
