/**
 * Names of the lab's kernel objects. Everything here ends up in `ip`
 * arguments, bpffs paths and /var/run/netns file names, so each name is
 * checked against a strict pattern before it is built, and the kernel's length
 * limits (IFNAMSIZ: 15 characters) are respected by construction.
 */
import { createHash } from 'node:crypto';

export const LAB_NAME_PATTERN = /^[a-z][a-z0-9]{0,7}$/;
/** Kubernetes DNS label: workload and namespace names. */
export const DNS_LABEL_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export const DEFAULT_NAMESPACE = 'default';
export const STATE_ROOT = '/run/policy-studio';
export const BPFFS_ROOT = '/sys/fs/bpf/policy-studio';
export const NETNS_DIR = '/var/run/netns';

/** Every namespace of a lab starts with this, so a lab (or a test) can find all of its own. */
export function netnsPrefix(lab: string): string {
  return `ps-${lab}-`;
}

export function nodeNetnsName(lab: string): string {
  return `${netnsPrefix(lab)}node`;
}

/**
 * `ps-<lab>-<workload>-<n>` in the default namespace; other namespaces add
 * `<namespace>.` (a dot cannot occur in either DNS label, so names never collide).
 */
export function endpointNetnsName(lab: string, namespace: string, workload: string, replica: number): string {
  const ns = namespace === DEFAULT_NAMESPACE ? '' : `${namespace}.`;
  return `${netnsPrefix(lab)}${ns}${workload}-${replica}`;
}

/** `<namespace>/<workload>-<n>`: the endpoint's name in RPC results and flows. */
export function endpointName(namespace: string, workload: string, replica: number): string {
  return `${namespace}/${workload}-${replica}`;
}

/** Four hex digits that tell one lab's host-side veths from another's in tools like `ip link`. */
export function labHash(lab: string): string {
  return createHash('sha256').update(lab).digest('hex').slice(0, 4);
}

/** Host-side veth of an endpoint: `lxc<hash><id>`, at most 3 + 4 + 8 = 15 characters. */
export function hostIfname(lab: string, endpointId: number): string {
  if (!Number.isInteger(endpointId) || endpointId < 1 || endpointId > 99_999_999) {
    throw new RangeError(`endpoint id ${endpointId} does not fit an interface name`);
  }
  return `lxc${labHash(lab)}${endpointId}`;
}

export function stateDir(lab: string): string {
  return `${STATE_ROOT}/${lab}`;
}

export function pinDir(lab: string): string {
  return `${BPFFS_ROOT}/${lab}`;
}

export function netnsPath(netns: string): string {
  return `${NETNS_DIR}/${netns}`;
}
