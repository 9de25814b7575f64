/**
 * Security identities, numbered as Cilium numbers them (src/protocol/identities.ts):
 * reserved identities (1 host, 2 world) are fixed; a workload's label set plus
 * its namespace (`k8s:io.kubernetes.pod.namespace=<ns>`) maps to a
 * cluster-scope identity from 256 up, and endpoints with identical label sets
 * share one; CIDR peers get local-scope identities from 16777217 (1 << 24 | 1) up.
 *
 * Allocations are persisted in the lab's state file so a restarted agent keeps
 * the numbers the pinned BPF maps already hold.
 */
import type { Labels } from '../../protocol/policy-ir';
import type { IdentityInfo } from '../../protocol/agent-rpc';
import { CLUSTER_SCOPE_FIRST, CLUSTER_SCOPE_LAST, LOCAL_SCOPE_FIRST, ReservedIdentity, reservedIdentityLabels } from '../../protocol/identities';
import { LabelSource, NAMESPACE_LABEL } from '../../protocol/labels';

export interface IdentitySnapshot { endpoints: [string, number][]; cidrs: [string, number][] }

export class IdentityAllocator {
  private readonly byLabelKey = new Map<string, number>();
  private readonly byCidr = new Map<string, number>();

  static restore(snapshot: IdentitySnapshot | undefined): IdentityAllocator {
    const a = new IdentityAllocator();
    for (const [k, id] of snapshot?.endpoints ?? []) a.byLabelKey.set(k, id);
    for (const [c, id] of snapshot?.cidrs ?? []) a.byCidr.set(c, id);
    return a;
  }

  snapshot(): IdentitySnapshot {
    return { endpoints: [...this.byLabelKey], cidrs: [...this.byCidr] };
  }

  /** The identity of a workload's label set in a namespace; the same set always gets the same number. */
  forLabels(namespace: string, labels: Labels): number {
    const key = labelKey(identityLabels(namespace, labels));
    let id = this.byLabelKey.get(key);
    if (id === undefined) {
      id = firstFree(new Set(this.byLabelKey.values()), CLUSTER_SCOPE_FIRST, CLUSTER_SCOPE_LAST);
      this.byLabelKey.set(key, id);
    }
    return id;
  }

  /** The local-scope identity of a normalised CIDR (`10.0.0.0/8`). */
  forCidr(cidr: string): number {
    let id = this.byCidr.get(cidr);
    if (id === undefined) {
      // 0xffffffff is the datapath's enforcement marker (bpf/lib/policy.h), never a peer.
      id = firstFree(new Set(this.byCidr.values()), LOCAL_SCOPE_FIRST, 0xfffffffe);
      this.byCidr.set(cidr, id);
    }
    return id;
  }

  /** Forget identities no endpoint uses any more (Cilium garbage-collects them the same way). */
  retainLabelIdentities(inUse: ReadonlySet<number>): void {
    for (const [k, id] of this.byLabelKey) if (!inUse.has(id)) this.byLabelKey.delete(k);
  }

  retainCidrs(inUse: ReadonlySet<string>): void {
    for (const c of this.byCidr.keys()) if (!inUse.has(c)) this.byCidr.delete(c);
  }

  /** Every identity known, reserved ones first, with Cilium-style source-prefixed labels. */
  list(): IdentityInfo[] {
    const out: IdentityInfo[] = [
      { id: ReservedIdentity.Host, labels: reservedIdentityLabels(ReservedIdentity.Host)! },
      { id: ReservedIdentity.World, labels: reservedIdentityLabels(ReservedIdentity.World)! },
    ];
    for (const [key, id] of this.byLabelKey) out.push({ id, labels: parseLabelKey(key) });
    for (const [cidr, id] of this.byCidr) out.push({ id, labels: { [`${LabelSource.Cidr}:${cidr}`]: '' } });
    return out.sort((a, b) => a.id - b.id);
  }
}

/** A workload's labels as its identity sees them: `k8s:`-prefixed, with the namespace label added. */
export function identityLabels(namespace: string, labels: Labels): Labels {
  const out: Labels = {};
  for (const [k, v] of Object.entries(labels)) out[`${LabelSource.Kubernetes}:${k}`] = v;
  out[`${LabelSource.Kubernetes}:${NAMESPACE_LABEL}`] = namespace;
  return out;
}

function labelKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function parseLabelKey(key: string): Labels {
  return Object.fromEntries(JSON.parse(key) as [string, string][]);
}

function firstFree(used: ReadonlySet<number>, first: number, last: number): number {
  for (let id = first; id <= last; id++) if (!used.has(id)) return id;
  throw new Error(`identity space ${first}..${last} exhausted`);
}
