/**
 * What the agent adds to the datapath's numbers so a person can read a flow
 * (packed-batch-builder.ts asks once per distinct key in a batch): workload
 * names for addresses and endpoint ids, and for the cookie the rule that
 * decided — its id, text and source — or, for a default deny, the policy
 * whose selection caused it, explained at its `select` line.
 */
import type { EndpointState } from '../../protocol/agent-rpc';
import type { PolicyBundle, PolicyIR, RuleIR, SourceLocation } from '../../protocol/policy-ir';
import { ReservedIdentity } from '../../protocol/identities';
import { selectorText } from '../../protocol/selector-match';

const TCP_FLAG_NAMES: [number, string][] = [[0x02, 'SYN'], [0x10, 'ACK'], [0x01, 'FIN'], [0x04, 'RST'], [0x08, 'PSH'], [0x20, 'URG']];

/** A flags byte as text (`SYN|ACK`); the columns builder asks once per distinct byte in a batch. */
export function tcpFlagsText(flags: number): string {
  return TCP_FLAG_NAMES.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name).join('|');
}

/** The rule (or, for a default deny, the policy) a cookie stands for, as a flow event names it. */
export interface FlowExplanation { ruleId?: string; policyId?: string; ruleText?: string; source?: SourceLocation }

const NO_EXPLANATION: FlowExplanation = Object.freeze({});

export class FlowEnricher {
  private byIp = new Map<string, EndpointState>();
  private byId = new Map<number, EndpointState>();
  private nodeIp = '';
  private rules = new Map<number, { rule: RuleIR; policy: PolicyIR }>();
  private policies = new Map<number, PolicyIR>();
  /** The policy objects of the last setBundle(). */
  private indexed = new Set<PolicyIR>();

  setLab(endpoints: readonly EndpointState[], nodeIp: string): void {
    this.byIp = new Map(endpoints.map((e) => [e.ip, e]));
    this.byId = new Map(endpoints.map((e) => [e.endpointId, e]));
    this.nodeIp = nodeIp;
  }

  /**
   * Cookies of the new bundle win; the previous bundle's stay known, so events
   * still queued in the ring buffer from before an apply are explained too.
   */
  setBundle(bundle: PolicyBundle | undefined): void {
    const previous = this.indexed;
    this.indexed = new Set(bundle?.policies);
    for (const policy of bundle?.policies ?? []) {
      // Indexed by the previous call and still the same object (a patch keeps unchanged policies): nothing new.
      if (previous.has(policy)) continue;
      this.policies.set(policy.cookie, policy);
      for (const rule of [...(policy.ingress ?? []), ...(policy.egress ?? [])]) this.rules.set(rule.cookie, { rule, policy });
    }
  }

  /** What a cookie stands for: a rule (id, text, source) or a policy (its select line). */
  describeCookie(cookie: number): { ruleId?: string; policyId?: string; text?: string; source?: SourceLocation } {
    const rule = this.rules.get(cookie);
    if (rule) return { ruleId: rule.rule.id, policyId: rule.policy.id, text: rule.rule.text, source: rule.rule.source };
    const policy = this.policies.get(cookie);
    if (policy) return { policyId: policy.id, text: `select ${selectorText(policy.selector)}`, source: policy.selectSource };
    return {};
  }

  /** The endpoint whose program reported a flow. */
  local(endpointId: number): EndpointState | undefined {
    return this.byId.get(endpointId);
  }

  /**
   * What a cookie explains in a flow: a default deny carries the policy's
   * cookie, a rule match the rule's; prefer what the match says.
   */
  explanation(cookie: number, defaultDeny: boolean): FlowExplanation {
    if (cookie === 0) return NO_EXPLANATION;
    const policy = this.policies.get(cookie);
    const rule = this.rules.get(cookie);
    if (policy && (defaultDeny || !rule)) return { policyId: policy.id, source: policy.selectSource, ruleText: `select ${selectorText(policy.selector)}` };
    if (rule) return { ruleId: rule.rule.id, source: rule.rule.source, ruleText: rule.rule.text };
    return NO_EXPLANATION;
  }

  /** A flow's end: the identity the datapath used (else the endpoint's), and the workload or entity name. */
  peerOf(ip: string, identity: number | undefined): { identity: number; workload?: string } {
    const ep = this.byIp.get(ip);
    const id = identity ?? ep?.identity ?? 0;
    if (ep) return { identity: id, workload: `${ep.namespace}/${ep.workload}` };
    if (ip === this.nodeIp || identity === ReservedIdentity.Host) return { identity: id, workload: 'host' };
    if (identity === ReservedIdentity.World) return { identity: id, workload: 'world' };
    return { identity: id };
  }
}
