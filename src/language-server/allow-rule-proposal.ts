/**
 * The allow rule that would make a failing `expect … allowed` pass: added to
 * the policy whose default deny decided, in the direction it decided. The
 * validator attaches it to the diagnostic; the code action applies it.
 */
import { AstUtils, type AstNode } from 'langium';
import type { Position } from 'vscode-languageserver';
import { isPolicy, type Policy } from './generated/ast.js';
import { findService, findWorkload, type Decision } from './evaluator.js';
import { NAMESPACE_LABEL } from '../protocol/labels.js';
import type { ExpectIR, PolicyBundle, WorkloadIR } from '../protocol/policy-ir.js';

export interface RuleProposal { title: string; uri: string; position: Position; newText: string }

export function proposeAllowRule(
  bundle: PolicyBundle, expect: ExpectIR, decision: Decision, policyNamed: (namespace: string, name: string) => AstNode[],
): RuleProposal | undefined {
  if (decision.kind !== 'default-deny') return undefined; // a deny rule wins over any allow we could add
  const policyIR = bundle.policies.find((p) => p.id === decision.policyId);
  const policy = policyIR ? policyNamed(policyIR.namespace, policyIR.name).find(isPolicy) : undefined;
  if (!policyIR || !policy) return undefined;
  const service = expect.to.startsWith('service:') ? findService(bundle, expect.to.slice('service:'.length)) : undefined;
  let peer: string | undefined;
  if (decision.direction === 'ingress') {
    const src = findWorkload(bundle, expect.from);
    peer = src && selectorText(src, bundle, policyIR.namespace);
  } else if (expect.to.startsWith('cidr:')) {
    peer = `cidr ${expect.to.slice('cidr:'.length)}`;
  } else if (!service) {
    const dst = findWorkload(bundle, expect.to);
    peer = dst && selectorText(dst, bundle, policyIR.namespace);
  }
  if (!peer) return undefined;
  const port = expect.protocol === 'icmp' ? `icmp${expect.icmpType !== undefined ? ` type ${expect.icmpType}` : ''}`
    : `port ${service?.targetPort ?? expect.port}/${expect.protocol}`;
  const rule = decision.direction === 'ingress' ? `allow from ${peer} to ${port}` : `allow to ${peer} ${port}`;
  const where = insertionPoint(policy, decision.direction);
  if (!where) return undefined;
  return { title: `Add \`${rule}\` to policy ${policyIR.name}`, uri: AstUtils.getDocument(policy).uri.toString(), position: where.position, newText: `\n${where.indent}${rule}` };
}

/** After the last rule of the direction's last block, or after its `{` when it is empty. */
function insertionPoint(policy: Policy, direction: 'ingress' | 'egress'): { position: Position; indent: string } | undefined {
  const block = policy[direction].at(-1);
  const cst = block?.$cstNode;
  if (!block || !cst) return undefined;
  const blockIndent = ' '.repeat(cst.range.start.character);
  const last = block.rules.at(-1)?.$cstNode;
  if (last) return { position: last.range.end, indent: ' '.repeat(last.range.start.character) };
  const brace = cst.text.indexOf('{');
  return { position: { line: cst.range.start.line, character: cst.range.start.character + brace + 1 }, indent: blockIndent + '  ' };
}

/** A selector that picks out this workload: the fewest of its labels that no other workload shares. */
function selectorText(workload: WorkloadIR, bundle: PolicyBundle, policyNamespace: string): string | undefined {
  const own = Object.entries(workload.labels).filter(([k]) => !k.startsWith('io.'));
  if (own.length === 0) return undefined;
  const others = bundle.workloads.filter((w) => w !== workload && w.namespace === workload.namespace);
  const unique = own.find(([k, v]) => others.every((o) => o.labels[k] !== v));
  const chosen = unique ? [unique] : own;
  const terms = chosen.map(([k, v]) => `${/^[_a-zA-Z]([\w-]*\w)?$/.test(k) ? k : JSON.stringify(k)} == ${JSON.stringify(v)}`);
  if (workload.namespace !== policyNamespace) terms.push(`"${NAMESPACE_LABEL}" == ${JSON.stringify(workload.namespace)}`);
  return terms.join(' and ');
}
