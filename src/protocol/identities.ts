/**
 * Security identity numbers, as Cilium numbers them (pkg/identity): the
 * reserved identities are fixed, label sets get cluster-scope identities from
 * 256 up, and CIDRs get local-scope identities with bit 24 set. The policy map,
 * the ipcache and flow events all carry these numbers, so the agent, the
 * extension and the webviews read them from here.
 */
import type { Labels } from './policy-ir';
import { LabelSource } from './labels';

export const ReservedIdentity = {
  /** In a policy map key: every peer (Cilium's wildcard); as a flow's identity: not known. */
  Any: 0,
  /** The node itself (the lab's node namespace). */
  Host: 1,
  /** Anything outside the cluster that has no CIDR identity of its own. */
  World: 2,
  Unmanaged: 3,
  Health: 4,
  Init: 5,
  RemoteNode: 6,
  KubeApiserver: 7,
  Ingress: 8,
  WorldIpv4: 9,
  WorldIpv6: 10,
} as const;

/** Cilium's names of the reserved identities, as in their `reserved:<name>` label (0 is no identity's). */
const RESERVED_NAMES: Record<number, string> = {
  [ReservedIdentity.Host]: 'host',
  [ReservedIdentity.World]: 'world',
  [ReservedIdentity.Unmanaged]: 'unmanaged',
  [ReservedIdentity.Health]: 'health',
  [ReservedIdentity.Init]: 'init',
  [ReservedIdentity.RemoteNode]: 'remote-node',
  [ReservedIdentity.KubeApiserver]: 'kube-apiserver',
  [ReservedIdentity.Ingress]: 'ingress',
  [ReservedIdentity.WorldIpv4]: 'world-ipv4',
  [ReservedIdentity.WorldIpv6]: 'world-ipv6',
};

/** Label-set identities (Cilium's default cluster-scope range). */
export const CLUSTER_SCOPE_FIRST = 256;
export const CLUSTER_SCOPE_LAST = 65_535;

/** Cilium's local-scope flag: identities of CIDRs, known on this node only. */
export const LOCAL_SCOPE_FLAG = 1 << 24;
/** The first CIDR identity (16777217). */
export const LOCAL_SCOPE_FIRST = LOCAL_SCOPE_FLAG + 1;

/** `host` for 1, `world` for 2, …; undefined when the identity is not reserved. */
export function reservedIdentityName(id: number): string | undefined {
  return RESERVED_NAMES[id];
}

/** A policy map key's wildcard identity shown as a label, as `cilium bpf policy get` says ANY. */
export const ANY_IDENTITY_LABELS: Labels = Object.freeze({ [`${LabelSource.Reserved}:any`]: '' });

/** A reserved identity's labels as Cilium shows them (`reserved:host`), or undefined. */
export function reservedIdentityLabels(id: number): Labels | undefined {
  const name = RESERVED_NAMES[id];
  return name === undefined ? undefined : { [`${LabelSource.Reserved}:${name}`]: '' };
}
