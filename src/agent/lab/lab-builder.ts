/**
 * Builds a lab to match a list of workloads, as a diff against what exists:
 *
 *   ps-<lab>-<workload>-<n> (eth0 10.244.x.y/32) ──veth── lxc<hash><id> ┐
 *   ps-<lab>-<workload>-<n> (eth0 …)             ──veth── lxc<hash><id> ├ ps-<lab>-node
 *                                                                        ┘ (lo 10.244.0.1, ip_forward)
 *
 * The node namespace stands in for a Kubernetes node's root namespace: it
 * routes between endpoints and has no link to anything outside the lab, so no
 * lab packet can leave the machine. Endpoints route 10.244.0.0/16 via the
 * node's address and have no default route.
 */
import type { EndpointState, LabWorkloadSpec } from '../../protocol/agent-rpc';
import type { IdentityAllocator } from '../policy/identity-allocator';
import { AddressPool, LAB_CIDR, NODE_IP } from './addressing';
import { addNetns, linkMac, deleteNetns, ip, linkExists, listNetns, netnsExists, sysctl } from './netns';
import { endpointName, endpointNetnsName, hostIfname, netnsPrefix, nodeNetnsName } from './names';

export interface LabDiff {
  endpoints: EndpointState[];
  nextEndpointId: number;
  added: string[];
  removed: string[];
  changed: string[];
}

type Log = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;

export class LabBuilder {
  readonly nodeNetns: string;

  constructor(readonly lab: string, private readonly log: Log) {
    this.nodeNetns = nodeNetnsName(lab);
  }

  async ensureNode(): Promise<void> {
    const fresh = !netnsExists(this.nodeNetns);
    await addNetns(this.nodeNetns);
    if (!fresh) return;
    await sysctl(this.nodeNetns, 'net.ipv4.ip_forward', '1');
    // Namespaces may inherit a strict rp_filter from the host; the lab's /32 routes make loose checks pointless.
    await sysctl(this.nodeNetns, 'net.ipv4.conf.all.rp_filter', '0');
    await sysctl(this.nodeNetns, 'net.ipv4.conf.default.rp_filter', '0');
    await ip(this.nodeNetns, ['addr', 'replace', `${NODE_IP}/32`, 'dev', 'lo']);
    this.log('info', `created node namespace ${this.nodeNetns} (${NODE_IP})`);
  }

  /**
   * Make the lab's endpoints match `workloads`. Unchanged endpoints keep their
   * namespace, address and id; endpoints whose labels changed keep them too
   * and get a new identity.
   */
  async apply(current: EndpointState[], workloads: LabWorkloadSpec[], nextEndpointId: number, identities: IdentityAllocator): Promise<LabDiff> {
    await this.ensureNode();
    const byName = new Map(current.map((e) => [e.name, e]));
    const pool = new AddressPool(current.map((e) => e.ip));
    const wanted = new Map<string, { spec: LabWorkloadSpec; replica: number }>();
    for (const spec of workloads) {
      for (let r = 0; r < spec.replicas; r++) wanted.set(endpointName(spec.namespace, spec.name, r), { spec, replica: r });
    }

    const diff: LabDiff = { endpoints: [], nextEndpointId, added: [], removed: [], changed: [] };
    for (const ep of current) {
      if (wanted.has(ep.name)) continue;
      await deleteNetns(ep.netns);
      pool.release(ep.ip);
      diff.removed.push(ep.name);
    }

    for (const [name, { spec, replica }] of wanted) {
      const identity = identities.forLabels(spec.namespace, spec.labels);
      const existing = byName.get(name);
      if (existing) {
        const relabelled = JSON.stringify(existing.labels) !== JSON.stringify(spec.labels) || existing.identity !== identity;
        const ep: EndpointState = { ...existing, labels: { ...spec.labels }, identity };
        if (relabelled) diff.changed.push(name);
        if (!netnsExists(ep.netns) || !(await linkExists(this.nodeNetns, ep.ifname))) {
          this.log('warn', `endpoint ${name} lost its namespace or veth; recreating it with the same address`);
          await this.createEndpoint(ep);
        } else if (!ep.mac || !ep.hostMac) {
          await this.readMacs(ep); // state written before local delivery
        }
        diff.endpoints.push(ep);
        continue;
      }
      const endpointId = diff.nextEndpointId++;
      const ep: EndpointState = {
        name,
        workload: spec.name,
        namespace: spec.namespace,
        labels: { ...spec.labels },
        ip: pool.allocate(),
        netns: endpointNetnsName(this.lab, spec.namespace, spec.name, replica),
        ifname: hostIfname(this.lab, endpointId),
        endpointId,
        identity,
      };
      await this.createEndpoint(ep);
      diff.added.push(name);
      diff.endpoints.push(ep);
    }
    identities.retainLabelIdentities(new Set(diff.endpoints.map((e) => e.identity)));
    return diff;
  }

  /** Remove every namespace of the lab, including leftovers no state file knows about. */
  async teardown(): Promise<string[]> {
    const names = listNetns(netnsPrefix(this.lab));
    for (const n of names.filter((n) => n !== this.nodeNetns)) await deleteNetns(n);
    await deleteNetns(this.nodeNetns);
    return names;
  }

  private async createEndpoint(ep: EndpointState): Promise<void> {
    await deleteNetns(ep.netns);
    if (await linkExists(this.nodeNetns, ep.ifname)) await ip(this.nodeNetns, ['link', 'del', 'dev', ep.ifname]);
    await addNetns(ep.netns);
    // Created from inside the node namespace so nothing ever appears in the host's root namespace.
    await ip(this.nodeNetns, ['link', 'add', ep.ifname, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ep.netns]);
    await ip(ep.netns, ['addr', 'add', `${ep.ip}/32`, 'dev', 'eth0']);
    await ip(ep.netns, ['link', 'set', 'eth0', 'up']);
    await ip(ep.netns, ['route', 'add', `${NODE_IP}/32`, 'dev', 'eth0', 'scope', 'link']);
    await ip(ep.netns, ['route', 'add', LAB_CIDR, 'via', NODE_IP, 'dev', 'eth0']);
    await ip(this.nodeNetns, ['link', 'set', ep.ifname, 'up']);
    await ip(this.nodeNetns, ['route', 'replace', `${ep.ip}/32`, 'dev', ep.ifname]);
    await this.readMacs(ep);
    this.log('debug', `endpoint ${ep.name}: ${ep.netns} ${ep.ip} ${ep.mac} via ${ep.ifname} ${ep.hostMac}`);
  }

  /**
   * Both ends' MACs: the datapath delivers packets between endpoints itself (bpf/lib/local_delivery.h).
   * Without them the endpoint is only reached through the node's routing, which is no reason to fail the lab.
   */
  private async readMacs(ep: EndpointState): Promise<void> {
    try {
      ep.mac = await linkMac(ep.netns, 'eth0');
      ep.hostMac = await linkMac(this.nodeNetns, ep.ifname);
    } catch (e) {
      delete ep.mac;
      delete ep.hostMac;
      this.log('warn', `endpoint ${ep.name}: no MACs (${e instanceof Error ? e.message : String(e)}); packets to it are routed by the node`);
    }
  }
}
