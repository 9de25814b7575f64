/**
 * compilePolicy with memory: the entries each policy puts on the lab's
 * endpoints are kept per policy id, reused while the policy's content and the
 * identity set it was resolved against are unchanged. A one-rule change in a
 * bundle of many policies then recompiles one policy, not all of them; the
 * datapath driver, handed the per-rule parts (PolicyState.entryParts),
 * reuses its resolution of every part it has seen before (by identity).
 * Within a changed policy, unchanged rules keep their entries too.
 *
 * Invalidation: a policy's part depends on its own content and on the
 * context (endpoints with their labels and identities, the node IP, and the
 * identity of every CIDR the whole bundle names: `world` and CIDR peers
 * expand to those). Any change to the context recompiles every policy.
 */
import { createHash } from 'node:crypto';
import { sameJson } from './same-json';
import type { PolicyBundle, PolicyIR, RuleIR } from '../../protocol/policy-ir';
import type { EndpointConfig, PolicyEntry } from '../datapath/types';
import type { IdentityAllocator } from './identity-allocator';
import type { Cidr } from '../../protocol/cidr';
import {
  collectCidrs, compileContext, endpointConfig, policySelects, ruleEntriesFor, rulesOf,
  type CompileContext, type CompiledPolicy, type CompilerEndpoint,
} from './map-state';

interface Part {
  /** The policy object compiled; a later one with equal content is the same policy. */
  policy: PolicyIR;
  context: string;
  cidrs: Map<string, Cidr>;
  selects: Set<number>;
  /** Per rule id: the rule compiled and its entries on the selected endpoints. */
  rules: Map<string, RulePart>;
  /** The rules' entry arrays, in rule order. */
  entryParts: PolicyEntry[][];
}

interface RulePart { rule: RuleIR; entries: PolicyEntry[] }

/** Rule fields no map entry depends on. */
const WHERE_WRITTEN: ReadonlySet<string> = new Set(['text', 'source']);

export interface IncrementalCompiled extends CompiledPolicy {
  /**
   * The entries grouped per rule, in bundle order; an unchanged rule (of an unchanged
   * policy, or an unchanged rule of a changed one) keeps its array object.
   */
  entryParts: PolicyEntry[][];
  /** Policies compiled afresh by this call (the rest came from the cache). */
  recompiled: number;
  /** entries.length, without flattening the parts. */
  entryCount: number;
  /**
   * The bundle's policies, each unchanged one as the object first seen with its content:
   * a re-sent bundle then shares objects with the last one, and everything keyed by
   * policy object (flow enricher, state file text, patch id index) skips it.
   */
  policies: PolicyIR[];
}

export class PolicyCompileCache {
  private parts = new Map<string, Part>();

  compile(bundle: PolicyBundle | undefined, endpoints: CompilerEndpoint[], identities: IdentityAllocator, nodeIp: string): IncrementalCompiled {
    const policies = bundle?.policies ?? [];
    // The cached part of each policy whose content is unchanged (same object, or equal).
    const unchanged = policies.map((p) => {
      const cached = this.parts.get(p.id);
      return cached && (cached.policy === p || sameJson(cached.policy, p)) ? cached : undefined;
    });
    // A policy's CIDRs are cached with it: the bundle-wide CIDR set costs nothing for unchanged policies.
    const cidrs = new Map<string, Cidr>();
    policies.forEach((p, i) => {
      for (const [k, v] of unchanged[i]?.cidrs ?? collectCidrs([p])) cidrs.set(k, v);
    });
    const ctx = compileContext(cidrs, endpoints, identities, nodeIp);
    const context = contextKey(endpoints, nodeIp, ctx.cidrIds);

    const next = new Map<string, Part>();
    let recompiled = 0;
    const entryParts: PolicyEntry[][] = [];
    let entryCount = 0;
    policies.forEach((policy, i) => {
      let part = unchanged[i];
      if (!part || part.context !== context) {
        recompiled++;
        part = this.compileChanged(policy, endpoints, ctx, context);
      }
      next.set(policy.id, part);
      for (const rulePart of part.entryParts) {
        entryParts.push(rulePart);
        entryCount += rulePart.length;
      }
    });
    this.parts = next;
    const canonical = policies.map((p) => next.get(p.id)!.policy);

    const configs: EndpointConfig[] = [];
    const enforcing: CompiledPolicy['enforcing'] = [];
    for (const ep of endpoints) {
      const selecting = canonical.filter((p) => next.get(p.id)!.selects.has(ep.endpointId));
      const config = endpointConfig(ep, selecting);
      configs.push(config);
      enforcing.push({ endpoint: ep.name, ingress: config.ingressPolicyCookie !== 0, egress: config.egressPolicyCookie !== 0 });
    }
    identities.retainCidrs(new Set(ctx.cidrIds.keys()));
    // `entries` only when asked for: flattening thousands of rule parts costs more than the rest of a patch.
    let entries: PolicyEntry[] | undefined;
    return {
      endpoints: configs, ipcache: ctx.ipcache, entryParts, entryCount, enforcing, cidrs: new Set(ctx.cidrIds.keys()), recompiled, policies: canonical,
      get entries() { return (entries ??= entryParts.flat()); },
    };
  }

  /**
   * A changed policy, rule by rule: with the same context and selector, a rule
   * equal to the one compiled before keeps its entries (a one-rule change in a
   * policy of thousands recompiles one rule).
   */
  private compileChanged(policy: PolicyIR, endpoints: CompilerEndpoint[], ctx: CompileContext, context: string): Part {
    const old = this.parts.get(policy.id);
    const reuse = old && old.context === context && sameJson(old.policy.selector, policy.selector) ? old.rules : undefined;
    const selected = endpoints.filter((ep) => policySelects(policy, ep));
    const rules = new Map<string, RulePart>();
    const entryParts: PolicyEntry[][] = [];
    for (const [dir, rule] of rulesOf(policy)) {
      const before = reuse?.get(rule.id);
      // Where a rule is written (its text, its source range) makes no entry: an edit above it moves it, nothing more.
      let part = before && (before.rule === rule || sameJson(before.rule, rule, WHERE_WRITTEN)) ? before : undefined;
      if (!part) {
        const entries: PolicyEntry[] = [];
        const seen = new Set<string>();
        for (const ep of selected) ruleEntriesFor(policy, dir, rule, ep, ctx, seen, entries);
        part = { rule, entries };
      }
      rules.set(rule.id, part);
      entryParts.push(part.entries);
    }
    return { policy, context, cidrs: collectCidrs([policy]), selects: new Set(selected.map((ep) => ep.endpointId)), rules, entryParts };
  }

  /** Forget everything (e.g. another lab). */
  clear(): void {
    this.parts.clear();
  }
}

function contextKey(endpoints: CompilerEndpoint[], nodeIp: string, cidrIds: Map<string, { id: number }>): string {
  const eps = endpoints.map((e) => [e.endpointId, e.identity, e.ip, e.namespace, e.labels]);
  const ids = [...cidrIds].map(([c, { id }]) => `${c}=${id}`).join(',');
  return createHash('sha1').update(JSON.stringify([nodeIp, eps])).update(ids).digest('base64');
}
