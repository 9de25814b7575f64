/**
 * Checks that need the meaning of the whole workspace, not just the text:
 * rules that can never decide anything, and `expect` lines the static
 * evaluator already knows will fail. Both work on the compiled IR, so they
 * agree with `policy-studio test` and the datapath.
 */
import { AstUtils, type ValidationAcceptor } from 'langium';
import type { Expect, Policy, Rule } from './generated/ast.js';
import { compileExpect, compilePolicy } from './ir-compiler.js';
import { trace, UnknownWorkloadError, type TraceProtocol } from './evaluator.js';
import { ruleCovers } from './rule-coverage.js';
import { IssueCode } from './issue-codes.js';
import { proposeAllowRule } from './allow-rule-proposal.js';
import type { PolicyServices } from './policy-module.js';
import type { WorkspaceBundle } from './workspace-bundle.js';
import { declarationKey, type WorkloadCatalog } from './workload-catalog.js';
import { decisionText, fileLine } from '../protocol/decision-text.js';
import type { RuleIR, SourceLocation } from '../protocol/policy-ir.js';

export class PolicySemanticChecks {
  private readonly bundle: WorkspaceBundle;
  private readonly catalog: WorkloadCatalog;

  constructor(services: PolicyServices) {
    this.bundle = services.policy.WorkspaceBundle;
    this.catalog = services.policy.WorkloadCatalog;
  }

  /** Per direction: an allow under a broader deny (info), a rule after a broader rule of the same action (warning). */
  checkShadowedRules(policy: Policy, accept: ValidationAcceptor): void {
    if (!policy.name) return;
    const ir = compilePolicy(policy);
    for (const [blocks, rules] of [[policy.ingress, ir.ingress], [policy.egress, ir.egress]] as const) {
      if (!rules) continue;
      const nodes: Rule[] = blocks.flatMap((b) => b.rules);
      rules.forEach((rule, j) => {
        const node = nodes[j]!;
        if (rule.action === 'allow') {
          const deny = rules.find((other) => other.action === 'deny' && ruleCovers(other, rule));
          if (deny) {
            accept('info', `This allow has no effect: the deny on line ${line(deny)} (\`${deny.text}\`) matches every packet it allows, and deny wins.`,
              { node, property: 'action', data: { code: IssueCode.AllowOverriddenByDeny, by: deny.id } });
            return;
          }
        }
        const earlier = rules.slice(0, j).find((other) => other.action === rule.action && ruleCovers(other, rule));
        if (earlier) {
          accept('warning', `This rule never decides anything: line ${line(earlier)} (\`${earlier.text}\`) already ${rule.action === 'allow' ? 'allows' : 'denies'} everything it matches.`,
            { node, property: 'action', data: { code: IssueCode.ShadowedRule, by: earlier.id } });
        }
      });
    }
  }

  /** An expect the static evaluator decides the other way is an error on its line, naming the deciding rule. */
  checkExpect(node: Expect, accept: ValidationAcceptor): void {
    const expect = compileExpect(node, 0);
    if (!expect) return; // an unresolved name is already a linking error
    const bundle = this.bundle.get();
    let result;
    try {
      result = trace(bundle, expect.from, expect.to, expect.port, expect.protocol as TraceProtocol, expect.icmpType);
    } catch (err) {
      if (err instanceof UnknownWorkloadError) return;
      throw err;
    }
    if (result.verdict === expect.verdict) return;
    const uri = AstUtils.getDocument(node).uri.toString();
    const fix = expect.verdict === 'allowed' ? proposeAllowRule(bundle, expect, result.decidedBy, (ns, name) => this.catalog.declarationsNamed(declarationKey('policy', ns, name))) : undefined;
    accept('error', `Expected ${expect.verdict}, but ${decisionText(result, (source) => where(source, uri))}.`, {
      node, property: 'verdict', data: { code: IssueCode.ExpectFails, fix },
    });
  }
}

function line(rule: RuleIR): number {
  return rule.source.range.start.line + 1;
}

/** `file:line` when the deciding line is in another file, `line N` otherwise. */
function where(source: SourceLocation, uri: string): string {
  return source.uri === uri ? `line ${source.range.start.line + 1}` : fileLine(source);
}
