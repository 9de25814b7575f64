/**
 * Shared scaffolding of the datapath kernel tests: unique names, namespaces
 * that are always removed, and a flow collector that waits for an event.
 * Everything a test creates is named with its own short random id, so tests
 * never collide with each other or with a user's lab.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { FlowRecordReader, ipv4Text, openDatapath, type Datapath, type DatapathOptions, type EbpfDatapath, type FlowRecordBatch } from '../../src/agent/datapath';

export const BPF_DIR = resolve(__dirname, '../../bpf');
/** Compiled objects and loaders are named by source hash: tests may share the cache. */
export const BUILD_CACHE = join(tmpdir(), 'policy-studio-test-build');

export function shortId(): string {
  return randomBytes(3).toString('hex').slice(0, 5);
}

export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8' });
}

/** The index the kernel gave interface `dev` in namespace `netns` (`ip -j link show`), what skb->ifindex is on it. */
export function ifindexOf(netns: string, dev: string): number {
  const [link] = JSON.parse(ip('-j', '-n', netns, 'link', 'show', 'dev', dev)) as { ifindex: number }[];
  return link!.ifindex;
}

export function inNetns(netns: string, cmd: string, args: string[], timeoutMs = 10_000): string {
  return execFileSync('nsenter', [`--net=/var/run/netns/${netns}`, cmd, ...args], { encoding: 'utf8', timeout: timeoutMs });
}

/** Creates network namespaces and deletes them (and so their veths) on cleanup. */
export class Namespaces {
  private readonly created: string[] = [];
  add(name: string): string {
    ip('netns', 'add', name);
    this.created.push(name);
    ip('-n', name, 'link', 'set', 'lo', 'up');
    return name;
  }
  cleanup(): void {
    for (const name of this.created.reverse()) {
      try { ip('netns', 'del', name); } catch { /* already gone */ }
    }
    this.created.length = 0;
  }
}

export function datapathOptions(id: string, nodeNetns: string, bpfDir = BPF_DIR, buildDir = BUILD_CACHE): DatapathOptions {
  return {
    pinDir: `/sys/fs/bpf/policy-studio-test/${id}`,
    nodeNetns,
    bpfDir,
    buildDir,
    log: (level, message) => { if (level === 'error' || process.env.PS_TEST_VERBOSE) console.error(`[${level}] ${message}`); },
  };
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** One flow record's fields as an object, for assertions (the product reads them in place, without objects). */
export interface RecordedFlow {
  time: number;
  verdict: 'forwarded' | 'dropped';
  dropReason: number;
  direction: 'ingress' | 'egress';
  endpointId: number;
  ifindex: number;
  saddr: string;
  daddr: string;
  sport: number;
  dport: number;
  protocol: number;
  remoteIdentity: number;
  match: string;
  cookie: number;
  tcpFlags: number;
  length: number;
}

/** Every record of a batch, read by the datapath's own reader (the one the agent's flow columns are built with). */
export function recordedFlows(batch: FlowRecordBatch): RecordedFlow[] {
  const r = new FlowRecordReader().read(batch);
  return Array.from({ length: batch.count }, (_, i) => {
    r.seek(i);
    return {
      time: r.timeMs, verdict: r.dropped ? 'dropped' : 'forwarded', dropReason: r.dropReason, direction: r.ingress ? 'ingress' : 'egress',
      endpointId: r.endpointId, ifindex: r.ifindex, saddr: ipv4Text(r.saddr), daddr: ipv4Text(r.daddr), sport: r.srcPort, dport: r.dstPort,
      protocol: r.protocol, remoteIdentity: r.remoteIdentity, match: r.match, cookie: r.cookie, tcpFlags: r.tcpFlags, length: r.length,
    };
  });
}

/** Records every flow and lets a test wait for the first one matching a predicate. */
export class FlowCollector {
  readonly flows: RecordedFlow[] = [];
  private waiters: { pred: (f: RecordedFlow) => boolean; resolve: (f: RecordedFlow) => void }[] = [];
  private readonly sub: { dispose(): void };

  constructor(dp: Datapath) {
    this.sub = dp.onFlowRecords((batch) => {
      for (const flow of recordedFlows(batch)) {
        this.flows.push(flow);
        this.waiters = this.waiters.filter((w) => {
          if (!w.pred(flow)) return true;
          w.resolve(flow);
          return false;
        });
      }
    });
  }

  /** Forgets what was seen so far: waitFor() then only matches newer flows. */
  clear(): void { this.flows.length = 0; }

  waitFor(pred: (f: RecordedFlow) => boolean, timeoutMs = 3000): Promise<RecordedFlow> {
    const seen = this.flows.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching flow within ${timeoutMs} ms; saw ${JSON.stringify(this.flows)}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (f) => { clearTimeout(timer); resolve(f); } });
    });
  }

  dispose(): void { this.sub.dispose(); }
}

/** A datapath for BPF_PROG_TEST_RUN: real programs and maps, attached to one host-side veth. */
export interface TestRunDatapath {
  id: string;
  /** The node namespace the datapath is loaded into. */
  node: string;
  /** The veth standing in for an endpoint's host-side veth (its peer is `<dev>p`). */
  dev: string;
  dp: EbpfDatapath;
  flows: FlowCollector;
}

/**
 * A node namespace `<tag><id>-node` with a veth pair `<tag><id>d0`/`…d0p` in it,
 * the datapath loaded there (its initial build must pass the verifier) and a
 * flow collector; all removed when the test ends, also on failure.
 */
export async function openTestRunDatapath(t: TestContext, tag: string): Promise<TestRunDatapath> {
  const id = shortId();
  const nsList = new Namespaces();
  t.after(() => nsList.cleanup());
  const node = nsList.add(`${tag}${id}-node`);
  const dev = `${tag}${id}d0`;
  ip('-n', node, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', `${dev}p`);
  ip('-n', node, 'link', 'set', dev, 'up');
  const dp = await openDatapath(datapathOptions(id, node));
  t.after(() => dp.destroy());
  assert.ok(dp.initialBuild?.ok, dp.initialBuild?.verifierLog);
  const flows = new FlowCollector(dp);
  t.after(() => flows.dispose());
  return { id, node, dev, dp, flows };
}
