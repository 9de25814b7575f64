/**
 * compilePolicy with memory: the entries each policy puts on the lab's
 * endpoints are kept per policy id, reused while the policy's content and the
 * identity set it was resolved against are unchanged. A one-rule change in a
 * bundle of many policies then recompiles one policy, not all of them; the
 * datapath driver, handed the per-policy parts (PolicyState.entryParts),
 * reuses its resolution of every part it has seen before (by identity).
 *
 * Invalidation: a policy's part depends on its own content and on the
 * context (endpoints with their labels and identities, the node IP, and the
 * identity of every CIDR the whole bundle names: `world` and CIDR peers
 * expand to those). Any change to the context recompiles every policy.
 */
import { createHash } from 'node:crypto';
import type { PolicyBundle, PolicyIR } from '../protocol/policy-ir';
import type { EndpointConfig, PolicyEntry } from './datapath/types';
import type { IdentityAllocator } from './identity-allocator';
import type { Cidr } from './lab/addressing';
import {
  collectCidrs, compileContext, endpointConfig, policyEntriesFor, policySelects,
  type CompiledPolicy, type CompilerEndpoint,
} from './policy-compiler';

interface Part {
  /** The policy object compiled (same object: no need to hash it again). */
  policy: PolicyIR;
  hash: string;
  context: string;
  cidrs: Map<string, Cidr>;
  selects: Set<number>;
  entries: PolicyEntry[];
}

export interface IncrementalCompiled extends CompiledPolicy {
  /** The entries grouped per policy, in bundle order; an unchanged policy keeps its array object. */
  entryParts: PolicyEntry[][];
  /** Policies compiled afresh by this call (the rest came from the cache). */
  recompiled: number;
}

export class PolicyCompileCache {
  private parts = new Map<string, Part>();

  compile(bundle: PolicyBundle | undefined, endpoints: CompilerEndpoint[], identities: IdentityAllocator, nodeIp: string): IncrementalCompiled {
    const policies = bundle?.policies ?? [];
    // A policy's CIDRs are cached with it: the bundle-wide CIDR set costs nothing for unchanged policies.
    const hashes = policies.map((p) => this.hashOf(p));
    const cidrs = new Map<string, Cidr>();
    policies.forEach((p, i) => {
      const cached = this.parts.get(p.id);
      const own = cached && cached.hash === hashes[i] ? cached.cidrs : collectCidrs([p]);
      for (const [k, v] of own) cidrs.set(k, v);
    });
    const ctx = compileContext(cidrs, endpoints, identities, nodeIp);
    const context = contextKey(endpoints, nodeIp, ctx.cidrIds);

    const next = new Map<string, Part>();
    let recompiled = 0;
    const entryParts = policies.map((policy, i) => {
      let part = this.parts.get(policy.id);
      if (!part || part.hash !== hashes[i] || part.context !== context) {
        recompiled++;
        const selects = new Set<number>();
        const entries: PolicyEntry[] = [];
        const seen = new Set<string>();
        for (const ep of endpoints) {
          if (!policySelects(policy, ep)) continue;
          selects.add(ep.endpointId);
          policyEntriesFor(policy, ep, ctx, seen, entries);
        }
        part = { policy, hash: hashes[i]!, context, cidrs: collectCidrs([policy]), selects, entries };
      }
      part.policy = policy;
      next.set(policy.id, part);
      return part.entries;
    });
    this.parts = next;

    const configs: EndpointConfig[] = [];
    const enforcing: CompiledPolicy['enforcing'] = [];
    for (const ep of endpoints) {
      const selecting = policies.filter((p) => next.get(p.id)!.selects.has(ep.endpointId));
      const config = endpointConfig(ep, selecting);
      configs.push(config);
      enforcing.push({ endpoint: ep.name, ingress: config.ingressPolicyCookie !== 0, egress: config.egressPolicyCookie !== 0 });
    }
    identities.retainCidrs(new Set(ctx.cidrIds.keys()));
    return { endpoints: configs, ipcache: ctx.ipcache, entries: entryParts.flat(), entryParts, enforcing, cidrs: new Set(ctx.cidrIds.keys()), recompiled };
  }

  /** Forget everything (e.g. another lab). */
  clear(): void {
    this.parts.clear();
  }

  private hashOf(policy: PolicyIR): string {
    const cached = this.parts.get(policy.id);
    if (cached && cached.policy === policy) return cached.hash;
    return createHash('sha1').update(JSON.stringify(policy)).digest('base64');
  }
}

function contextKey(endpoints: CompilerEndpoint[], nodeIp: string, cidrIds: Map<string, { id: number }>): string {
  const eps = endpoints.map((e) => [e.endpointId, e.identity, e.ip, e.namespace, e.labels]);
  const ids = [...cidrIds].map(([c, { id }]) => `${c}=${id}`).join(',');
  return createHash('sha1').update(JSON.stringify([nodeIp, eps])).update(ids).digest('base64');
}
