/**
 * ImportedPolicy → policy language text. Writes only the surface syntax the
 * grammar parses (src/language-server/policy.langium): label keys that are
 * not plain names, or that are keywords, are quoted; names are made valid
 * and unique; peers are joined with `or` (`,` would continue an except list).
 */
import { AstUtils, GrammarAST } from 'langium';
import type { HttpRuleIR, Peer, PortRule, SelectorTerm } from '../../protocol/policy-ir.js';
import { PolicyLanguageGrammar } from '../generated/grammar.js';
import { NAMESPACE_LABEL } from '../../protocol/labels.js';
import { DEFAULT_NAMESPACE } from '../policy-namespaces.js';
import type { ImportedPolicy, ImportedRule } from './imported-policy.js';

const PLAIN_NAME = /^[_a-zA-Z]([\w-]*\w)?$/;
const PLAIN_CIDR = /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/;

let keywordCache: Set<string> | undefined;
/** The grammar's keywords, read from the grammar itself so the writer follows it as it grows. */
function keywords(): Set<string> {
  keywordCache ??= new Set(AstUtils.streamAllContents(PolicyLanguageGrammar()).filter(GrammarAST.isKeyword).map((k) => k.value));
  return keywordCache;
}

export function writePolicies(policies: ImportedPolicy[], header: string[] = []): string {
  const lines: string[] = header.map((h) => `// ${h}`);
  const byNamespace = new Map<string, ImportedPolicy[]>();
  for (const policy of policies) byNamespace.set(policy.namespace, [...(byNamespace.get(policy.namespace) ?? []), policy]);
  for (const [namespace, members] of byNamespace) {
    const used = new Set<string>();
    const indent = namespace === DEFAULT_NAMESPACE ? '' : '  ';
    if (lines.length) lines.push('');
    if (indent) lines.push(`namespace ${nameOf(namespace, new Set())} {`);
    members.forEach((policy, i) => {
      if (i > 0) lines.push('');
      lines.push(...writePolicy(policy, nameOf(policy.name, used)).map((l) => indent + l));
    });
    if (indent) lines.push('}');
  }
  return lines.join('\n') + '\n';
}

function writePolicy(policy: ImportedPolicy, name: string): string[] {
  const lines = [`// ${policy.kind} ${policy.namespace}/${policy.name} (manifest line ${policy.line})`, `policy ${name} {`];
  lines.push(`  select ${selectorText(policy.select, policy.namespace, ', ')}`);
  for (const direction of ['ingress', 'egress'] as const) {
    const rules = policy[direction];
    if (!rules) continue;
    if (!rules.length) { lines.push(`  ${direction} { }    // default deny`); continue; }
    lines.push(`  ${direction} {`);
    for (const rule of rules) lines.push(`    ${ruleText(rule, direction, policy.namespace)}`);
    lines.push('  }');
  }
  lines.push('}');
  return lines;
}

function ruleText(rule: ImportedRule, direction: 'ingress' | 'egress', namespace: string): string {
  const parts: string[] = [rule.action];
  if (rule.peers.length) parts.push(direction === 'ingress' ? 'from' : 'to', rule.peers.map((p) => peerText(p, namespace)).join(' or '));
  if (rule.ports.length) parts.push(rule.peers.length && direction === 'ingress' ? 'to port' : 'port', rule.ports.map(portText).join(', '));
  if (rule.http?.length) parts.push(`http { ${rule.http.map(httpText).join(' ')} }`);
  return parts.join(' ');
}

function peerText(peer: Peer, namespace: string): string {
  switch (peer.kind) {
    case 'entity': return `entity ${peer.entity}`;
    case 'cidr': return `cidr ${cidrText(peer.cidr)}${peer.except.length ? ` except ${peer.except.map(cidrText).join(', ')}` : ''}`;
    case 'selector': return selectorText(peer.selector.terms, namespace, ' and ');
  }
}

/** No terms: every workload of the namespace, written as its namespace term (valid in every grammar version). */
function selectorText(terms: SelectorTerm[], namespace: string, separator: string): string {
  const written = terms.length ? terms : [{ key: NAMESPACE_LABEL, operator: 'in' as const, values: [namespace] }];
  return written.map(termText).join(separator);
}

function termText(term: SelectorTerm): string {
  const key = keyText(term.key);
  const values = term.values.map((v) => JSON.stringify(v));
  switch (term.operator) {
    case 'exists': return `${key} exists`;
    case 'notexists': return `!exists ${key}`;
    case 'in': return values.length === 1 ? `${key} == ${values[0]}` : `${key} in (${values.join(', ')})`;
    case 'notin': return values.length === 1 ? `${key} != ${values[0]}` : `${key} notin (${values.join(', ')})`;
  }
}

function keyText(key: string): string {
  return PLAIN_NAME.test(key) && !keywords().has(key) ? key : JSON.stringify(key);
}

function cidrText(cidr: string): string {
  return PLAIN_CIDR.test(cidr) ? cidr : JSON.stringify(cidr);
}

function portText(port: PortRule): string {
  if (port.protocol === 'icmp') return port.icmpType === undefined ? 'icmp' : `icmp type ${port.icmpType}`;
  if (port.port === undefined) return port.protocol;
  return `${port.port}${port.endPort !== undefined ? `-${port.endPort}` : ''}/${port.protocol}`;
}

function httpText(rule: HttpRuleIR): string {
  return [rule.method ?? 'ANY', ...(rule.path !== undefined ? [JSON.stringify(rule.path)] : []), ...(rule.headers ?? []).map((h) => `header ${JSON.stringify(h)}`)].join(' ');
}

/** A valid, unused language name for a Kubernetes name (DNS-1123: may hold dots, start with a digit). */
function nameOf(kubernetesName: string, used: Set<string>): string {
  let name = kubernetesName.replace(/[^\w-]/g, '-').replace(/-+$/, '');
  if (!/^[_a-zA-Z]/.test(name)) name = `p-${name}`;
  if (keywords().has(name)) name = `${name}-policy`;
  let unique = name;
  for (let n = 2; used.has(unique); n++) unique = `${name}-${n}`;
  used.add(unique);
  return unique;
}
