/**
 * The flows view's filter, modelled on `hubble observe`: `key:value` terms
 * (or hubble's own `--flag value` spelling) plus free words. Terms with the
 * same key are ORed, like repeated hubble flags; different keys and free
 * words are ANDed. Pure, so the unit tests and the benchmark use it as is.
 *
 *   verdict:dropped  reason:policy  from:frontend  to:db  pod:db
 *   from-label:app=web  to-label:tier  label:app=db  port:5432  from-port:  to-port:
 *   proto:tcp  dir:ingress  ip:10.244.0.5  from-ip:  to-ip:  identity:256
 */
import type { FlowEvent } from '../../src/protocol/flow-event';
import type { Labels } from '../../src/protocol/policy-ir';

export type LabelsOf = (identity: number) => Labels | undefined;

/** hubble observe's flag names → our keys. */
const ALIASES: Record<string, string> = {
  'from-pod': 'from', 'to-pod': 'to', 'pod': 'pod', 'from-workload': 'from', 'to-workload': 'to', workload: 'pod',
  protocol: 'proto', 'traffic-direction': 'dir', direction: 'dir', 'drop-reason-desc': 'reason', 'drop-reason': 'reason',
  'from-identity': 'from-identity', 'to-identity': 'to-identity',
};
const KEYS = new Set(['verdict', 'reason', 'from', 'to', 'pod', 'from-label', 'to-label', 'label', 'port', 'from-port', 'to-port',
  'proto', 'dir', 'ip', 'from-ip', 'to-ip', 'identity', 'from-identity', 'to-identity', 'rule']);

const LABEL_SOURCES = new Set(['k8s', 'reserved', 'cidr', 'any', 'container', 'unspec']);

export interface FlowQuery {
  /** key → accepted values (ORed); keys ANDed. */
  terms: Map<string, string[]>;
  /** Lower-case words that must all occur in the row's text. */
  words: string[];
  /** Keys the user typed that mean nothing, to say so under the filter. */
  unknown: string[];
}

function tokenize(text: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1] ?? m[2]);
  return out;
}

export function parseFlowQuery(text: string): FlowQuery {
  const query: FlowQuery = { terms: new Map(), words: [], unknown: [] };
  const tokens = tokenize(text);
  const add = (rawKey: string, value: string): void => {
    const key = ALIASES[rawKey] ?? rawKey;
    if (!KEYS.has(key)) { query.unknown.push(rawKey); return; }
    const list = query.terms.get(key) ?? [];
    list.push(value.toLowerCase());
    query.terms.set(key, list);
  };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.startsWith('--') && token.length > 2) {
      const flag = token.slice(2);
      const eq = flag.indexOf('=');
      if (eq > 0) add(flag.slice(0, eq), flag.slice(eq + 1));
      else if (i + 1 < tokens.length) add(flag, tokens[++i]);
      else query.unknown.push(flag);
      continue;
    }
    const colon = token.indexOf(':');
    // `k8s:app=db` is a label, not a key: only known keys (and aliases) split on the colon.
    const key = colon > 0 ? token.slice(0, colon) : '';
    if (key && (KEYS.has(key) || key in ALIASES)) add(key, token.slice(colon + 1));
    // A word-like key we do not know is a typo to point out, not text to search (label sources k8s:/reserved: are text).
    else if (/^[a-z][a-z-]*$/.test(key) && !LABEL_SOURCES.has(key)) query.unknown.push(key);
    else if (token) query.words.push(token.toLowerCase());
  }
  return query;
}

export function isEmptyQuery(q: FlowQuery): boolean {
  return q.terms.size === 0 && q.words.length === 0;
}

/** `default/frontend` → `frontend`; entities and bare IPs as they are. */
export function endpointName(e: FlowEvent['src']): string {
  return e.workload ? e.workload.replace(/^default\//, '') : e.ip;
}

export function portText(flow: FlowEvent): string {
  return flow.protocol === 'icmp' ? 'icmp' : `${flow.dst.port}/${flow.protocol}`;
}

export function ruleText(flow: FlowEvent): string {
  if (flow.ruleText) return flow.ruleText;
  if (flow.policyId) return `default deny (policy ${flow.policyId})`;
  if (flow.match === 'default-allow') return 'no policy selects this endpoint';
  if (flow.match === 'ct-established' || flow.match === 'ct-reply') return 'established connection';
  return '';
}

function workloadMatches(e: FlowEvent['src'], wanted: string): boolean {
  const w = (e.workload ?? '').toLowerCase();
  // `db` matches `default/db` and `db`; `shop/db` only that; a pod name `db-1` its workload.
  return w === wanted || w.endsWith(`/${wanted}`) || (wanted.includes('/') ? false : w.split('/').pop() === wanted.replace(/-\d+$/, ''));
}

function labelMatches(labels: Labels | undefined, wanted: string): boolean {
  if (!labels) return false;
  const selector = wanted.replace(/^(k8s|reserved|cidr):/, '');
  const eq = selector.indexOf('=');
  if (eq < 0) return Object.keys(labels).some((k) => k.toLowerCase() === selector);
  const key = selector.slice(0, eq);
  const value = selector.slice(eq + 1);
  return Object.entries(labels).some(([k, v]) => k.toLowerCase() === key && v.toLowerCase() === value);
}

const any = (values: string[], test: (v: string) => boolean): boolean => values.some(test);

/** The text free words search: what the row shows plus the reason and rule. */
export function flowHaystack(flow: FlowEvent): string {
  return [endpointName(flow.src), endpointName(flow.dst), flow.src.ip, flow.dst.ip, portText(flow), flow.verdict,
    flow.dropReasonText ?? '', ruleText(flow), flow.direction, flow.tcpFlags ?? '', flow.endpoint ?? ''].join(' ').toLowerCase();
}

export function flowMatches(flow: FlowEvent, q: FlowQuery, labelsOf: LabelsOf): boolean {
  for (const [key, values] of q.terms) {
    let ok: boolean;
    switch (key) {
      case 'verdict': ok = any(values, (v) => flow.verdict === v || (v === 'allowed' && flow.verdict === 'forwarded') || (v === 'denied' && flow.verdict === 'dropped')); break;
      case 'reason': ok = any(values, (v) => String(flow.dropReason) === v || (flow.dropReasonText ?? '').toLowerCase().replace(/[\s_]+/g, ' ').includes(v.replace(/_/g, ' '))); break;
      case 'from': ok = any(values, (v) => workloadMatches(flow.src, v)); break;
      case 'to': ok = any(values, (v) => workloadMatches(flow.dst, v)); break;
      case 'pod': ok = any(values, (v) => workloadMatches(flow.src, v) || workloadMatches(flow.dst, v)); break;
      case 'from-label': ok = any(values, (v) => labelMatches(labelsOf(flow.src.identity), v)); break;
      case 'to-label': ok = any(values, (v) => labelMatches(labelsOf(flow.dst.identity), v)); break;
      case 'label': ok = any(values, (v) => labelMatches(labelsOf(flow.src.identity), v) || labelMatches(labelsOf(flow.dst.identity), v)); break;
      case 'port': ok = any(values, (v) => String(flow.dst.port) === v || String(flow.src.port) === v); break;
      case 'from-port': ok = any(values, (v) => String(flow.src.port) === v); break;
      case 'to-port': ok = any(values, (v) => String(flow.dst.port) === v); break;
      case 'proto': ok = any(values, (v) => flow.protocol.toLowerCase() === v); break;
      case 'dir': ok = any(values, (v) => flow.direction === v); break;
      case 'ip': ok = any(values, (v) => flow.src.ip === v || flow.dst.ip === v); break;
      case 'from-ip': ok = any(values, (v) => flow.src.ip === v); break;
      case 'to-ip': ok = any(values, (v) => flow.dst.ip === v); break;
      case 'identity': ok = any(values, (v) => String(flow.src.identity) === v || String(flow.dst.identity) === v); break;
      case 'from-identity': ok = any(values, (v) => String(flow.src.identity) === v); break;
      case 'to-identity': ok = any(values, (v) => String(flow.dst.identity) === v); break;
      case 'rule': ok = any(values, (v) => ruleText(flow).toLowerCase().includes(v) || (flow.ruleId ?? flow.policyId ?? '').toLowerCase().includes(v)); break;
      default: ok = true;
    }
    if (!ok) return false;
  }
  if (q.words.length) {
    const hay = flowHaystack(flow);
    for (const w of q.words) if (!hay.includes(w)) return false;
  }
  return true;
}
