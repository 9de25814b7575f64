/**
 * The parts of CiliumNetworkPolicy (cilium.io/v2) and Kubernetes NetworkPolicy
 * (networking.k8s.io/v1) that export writes and import reads. Field names are
 * the APIs' own, so a document built from these types is the manifest.
 */

export interface K8sSelectorRequirement { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }

/** metav1.LabelSelector (Cilium's EndpointSelector has the same shape). */
export interface K8sLabelSelector { matchLabels?: Record<string, string>; matchExpressions?: K8sSelectorRequirement[] }

export interface ObjectMeta { name: string; namespace?: string }

export interface CiliumCidrRule { cidr: string; except?: string[] }
export interface CiliumPortProtocol { port?: string; endPort?: number; protocol?: string }
export interface CiliumHttpRule { method?: string; path?: string; headers?: string[] }
export interface CiliumPortRule { ports?: CiliumPortProtocol[]; rules?: { http?: CiliumHttpRule[] } }
export interface CiliumIcmpRule { fields: { type: number | string; family?: 'IPv4' | 'IPv6' }[] }

/** One ingress/egress (or deny) rule; `from*` for ingress, `to*` for egress. */
export interface CiliumRule {
  fromEndpoints?: K8sLabelSelector[]; toEndpoints?: K8sLabelSelector[];
  fromEntities?: string[]; toEntities?: string[];
  fromCIDR?: string[]; toCIDR?: string[];
  fromCIDRSet?: CiliumCidrRule[]; toCIDRSet?: CiliumCidrRule[];
  toPorts?: CiliumPortRule[];
  icmps?: CiliumIcmpRule[];
  [unsupported: string]: unknown;
}

export interface CiliumPolicySpec {
  description?: string;
  endpointSelector?: K8sLabelSelector;
  ingress?: CiliumRule[]; egress?: CiliumRule[];
  ingressDeny?: CiliumRule[]; egressDeny?: CiliumRule[];
  enableDefaultDeny?: { ingress?: boolean; egress?: boolean };
  [unsupported: string]: unknown;
}

export interface CiliumNetworkPolicy {
  apiVersion: 'cilium.io/v2';
  kind: 'CiliumNetworkPolicy';
  metadata: ObjectMeta;
  spec?: CiliumPolicySpec;
  specs?: CiliumPolicySpec[];
}

export interface NetworkPolicyPeer { podSelector?: K8sLabelSelector; namespaceSelector?: K8sLabelSelector; ipBlock?: { cidr: string; except?: string[] } }
export interface NetworkPolicyPort { protocol?: string; port?: number | string; endPort?: number }
export interface NetworkPolicyIngressRule { from?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }
export interface NetworkPolicyEgressRule { to?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }

export interface NetworkPolicy {
  apiVersion: 'networking.k8s.io/v1';
  kind: 'NetworkPolicy';
  metadata: ObjectMeta;
  spec: {
    podSelector: K8sLabelSelector;
    policyTypes?: ('Ingress' | 'Egress')[];
    ingress?: NetworkPolicyIngressRule[];
    egress?: NetworkPolicyEgressRule[];
  };
}
