/**
 * When one rule matches every packet another matches (over the IR, no
 * Langium). The validator uses it to find rules that can never decide
 * anything: an allow after a broader allow, an allow under a broader deny.
 * Conservative: "covers" is only claimed when it holds for every workspace,
 * so a missed warning is possible, a wrong one is not.
 */
import type { PortRule, Peer, RuleIR, SelectorTerm } from '../protocol/policy-ir.js';
import { cidrContains, CidrError, tryParseCidr } from '../protocol/cidr.js';
import { selectorKey } from '../protocol/selector-match.js';

export function ruleCovers(broad: RuleIR, narrow: RuleIR): boolean {
  // An L7 rule only allows some requests, so it covers nothing an L3/L4 rule allows.
  if (broad.http?.length && !narrow.http?.length) return false;
  if (broad.http?.length && JSON.stringify(broad.http) !== JSON.stringify(narrow.http)) return false;
  return peersCover(broad.peers, narrow.peers) && portsCover(broad.ports, narrow.ports);
}

function peersCover(broad: Peer[], narrow: Peer[]): boolean {
  if (broad.length === 0) return true;
  if (narrow.length === 0) return broad.some((p) => p.kind === 'entity' && p.entity === 'all');
  return narrow.every((n) => broad.some((b) => peerCovers(b, n)));
}

export function peerCovers(broad: Peer, narrow: Peer): boolean {
  if (broad.kind === 'entity') {
    if (broad.entity === 'all') return true;
    if (narrow.kind === 'entity') return narrow.entity === broad.entity;
    return broad.entity === 'cluster' && narrow.kind === 'selector';
  }
  if (broad.kind === 'selector') return narrow.kind === 'selector' && broad.selector.terms.every((t) => narrow.selector.terms.some((n) => termImplies(n, t)));
  if (narrow.kind !== 'cidr') return false;
  const outer = tryParseCidr(broad.cidr);
  const inner = tryParseCidr(narrow.cidr);
  if (outer instanceof CidrError || inner instanceof CidrError || !cidrContains(outer, inner)) return false;
  // Every address the broad rule excepts must also be excepted (or outside) in the narrow one.
  return broad.except.every((e) => {
    const hole = tryParseCidr(e);
    if (hole instanceof CidrError) return false;
    const disjoint = !cidrContains(hole, inner) && !cidrContains(inner, hole);
    return disjoint || narrow.except.some((x) => {
      const other = tryParseCidr(x);
      return !(other instanceof CidrError) && cidrContains(other, hole);
    });
  });
}

/** Whether every label set satisfying `narrow` satisfies `broad` (same key only). */
function termImplies(narrow: SelectorTerm, broad: SelectorTerm): boolean {
  if (selectorKey(narrow.key) !== selectorKey(broad.key)) return false;
  switch (broad.operator) {
    case 'exists': return narrow.operator === 'exists' || narrow.operator === 'in';
    case 'notexists': return narrow.operator === 'notexists';
    case 'in': return narrow.operator === 'in' && narrow.values.every((v) => broad.values.includes(v));
    case 'notin':
      return narrow.operator === 'notexists'
        || (narrow.operator === 'notin' && broad.values.every((v) => narrow.values.includes(v)))
        || (narrow.operator === 'in' && narrow.values.every((v) => !broad.values.includes(v)));
  }
}

function portsCover(broad: PortRule[], narrow: PortRule[]): boolean {
  if (broad.length === 0) return true;
  if (narrow.length === 0) return false;
  return narrow.every((n) => broad.some((b) => portCovers(b, n)));
}

export function portCovers(broad: PortRule, narrow: PortRule): boolean {
  if (broad.protocol === 'any' && broad.port === undefined) return true;
  if (broad.protocol === 'icmp' || narrow.protocol === 'icmp') {
    return broad.protocol === narrow.protocol && (broad.icmpType === undefined || broad.icmpType === narrow.icmpType);
  }
  if (broad.protocol !== 'any' && broad.protocol !== narrow.protocol) return false;
  if (broad.port === undefined) return true;
  if (narrow.port === undefined) return false;
  return narrow.port >= broad.port && (narrow.endPort ?? narrow.port) <= (broad.endPort ?? broad.port);
}
