/**
 * npm run bench:datapath — the datapath against no filter and iptables, on a
 * lab of this machine (issue 3). Not a test: it prints a table and one JSON
 * line, and asserts nothing. Every configuration is measured once per round,
 * rounds interleaved, so the machine's noise hits them all alike; results are
 * medians and ratios to "none" from the same run. The UDP rate is also paired:
 * each configuration's over a "none" run right before it, which cancels the
 * machine's slow drift (on a shared 2-vCPU VM, "none" alone moves ±15 %
 * between rounds).
 *
 * Three labs side by side, built by the agent (same topology): one without
 * any filter ("none": no datapath, no netfilter table at all), one for the
 * iptables rulesets (in that lab's node namespace, never the root
 * namespace) and one with ours (10, 1,000 and 100,000 policy entries; local
 * delivery direct, and routed through the node's stack at 100,000). Clients
 * are pinned to CPU 0 and servers to CPU 1 (taskset) on machines with two or
 * more, so every configuration gets the same placement. Then, on ours: the
 * two programs' cost per run on real traffic (bpf_stats), policy apply
 * latency (RPC call → first packet that sees the new verdict) for a one-rule
 * change in a 10,000-rule policy, and the event pipeline (trace-all: kernel →
 * agent → JSON-RPC client) with loss counted.
 *
 * Environment: BENCH_ROUNDS (5), BENCH_APPLY_REPS (7), BENCH_SECS (UDP seconds, 2), BENCH_TCP_SECS (3), BENCH_SETTLE_MS (1000),
 * BENCH_PIPELINE_PPS (flood rates for the event pipeline, comma-separated; 0 = as fast as it goes; default 50000,0),
 * BENCH_TESTRUN_RATES (event rates offered by the BPF_PROG_TEST_RUN source, default 100000,200000,400000,0), BENCH_TESTRUN_SECS (3),
 * BENCH_ONLY (comma-separated parts to run: throughput, apply, events; default all).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatapathLoad, DatapathLocalDelivery, FlowsUnsubscribe, LabApply, PolicyApply, PolicyPatch, Shutdown, type EndpointState, type LabState } from '../../src/protocol/agent-rpc';
import type { PolicyBundle } from '../../src/protocol/policy-ir';
import { pinDir } from '../../src/agent/lab/names';
import { removeLabLeftovers } from '../../test/harness/lab-cleanup';
import { REPO_ROOT, startAgent, uniqueLab } from '../../test/kernel/support/agent-under-test';
import { labWorkloads } from '../../test/kernel/support/bundle-builder';
import { bundleWithEntries, bundleWithRules, bundleWithRulesInPolicies, emptyBundle, iptablesRules, PORTS } from './configs';
import { pipelineReport, runEventPipeline, type PipelineRun } from './event-pipeline';
import { run, runJson, startBackground, type Background } from './netns-run';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const UDP_SECS = Number(process.env.BENCH_SECS ?? 2);
const TCP_SECS = Number(process.env.BENCH_TCP_SECS ?? 3);
const RR_COUNT = 3000;
/** Quiet time between installing a configuration and measuring it (BENCH_SETTLE_MS). */
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 1000);
const APPLY_REPS = Number(process.env.BENCH_APPLY_REPS ?? 7);
/** policy/patch: the 10,000 rules as this many policies; the patch carries one of them. */
const APPLY_POLICIES = 100;
/** How the one-rule change is sent (see the apply part of main()). */
const WAYS = ['apply', 'patch', 'apply100'] as const;
type Way = typeof WAYS[number];
/** agentFlipMs: from the agent's own timing log, its method call → the flip (no transport, no request parsing). */
interface ApplySample { firstPacketMs: number; rpcMs: number; agentFlipMs: number; leakedBefore: boolean }

/** Milliseconds up to and including `flip` in the agent's last "policy generation N timing: a 1.0, b 2.0, … = x ms" line. */
function agentFlipMs(stderr: string): number {
  const line = stderr.split('\n').filter((l) => l.includes(' timing: ')).pop() ?? '';
  let sum = 0;
  for (const m of line.matchAll(/(\w+) ([\d.]+)(?=,| =)/g)) {
    sum += Number(m[2]);
    if (m[1] === 'flip') return sum;
  }
  return NaN;
}
/** Flood rates for the event pipeline: paced (what it sustains) and unlimited (what happens when it cannot keep up). */
const PIPELINE_RATES = (process.env.BENCH_PIPELINE_PPS ?? '50000,0').split(',').map(Number);
/** Offered event rates of the BPF_PROG_TEST_RUN source (BENCH_TESTRUN_RATES; 0 = back to back) and its seconds per rate. */
const TESTRUN_RATES = (process.env.BENCH_TESTRUN_RATES ?? '100000,200000,400000,0').split(',').map(Number);
const TESTRUN_SECS = Number(process.env.BENCH_TESTRUN_SECS ?? 3);
const ONLY = new Set((process.env.BENCH_ONLY ?? 'throughput,apply,events').split(',').map((p) => p.trim()));

/** ours: local delivery direct (the default) or `routed` through the node's stack (what the datapath's own programs cost). */
type Config = { name: string; kind: 'none' } | { name: string; kind: 'ours'; entries: number; routed?: boolean } | { name: string; kind: 'iptables'; rules: number };
const CONFIGS: Config[] = [
  { name: 'none', kind: 'none' },
  { name: 'ours-10', kind: 'ours', entries: 10 },
  { name: 'ours-1000', kind: 'ours', entries: 1000 },
  { name: 'ours-100000', kind: 'ours', entries: 100_000 },
  { name: 'ours-100000-routed', kind: 'ours', entries: 100_000, routed: true },
  { name: 'iptables-10', kind: 'iptables', rules: 10 },
  { name: 'iptables-1000', kind: 'iptables', rules: 1000 },
  { name: 'iptables-10000', kind: 'iptables', rules: 10_000 },
];

const BPF_STATS = '/proc/sys/kernel/bpf_stats_enabled';
interface ProgramCost { mode: 'direct' | 'routed'; udpPps: number; fromEndpointNs: number; toEndpointNs: number; fromEndpointRuns: number; toEndpointRuns: number }

/** run_time_ns and run_cnt of the program behind one of the lab's pinned tcx links. */
function programRun(lab: string, ifname: string, hook: 'ingress' | 'egress'): { ns: number; cnt: number } {
  const link = JSON.parse(execFileSync('bpftool', ['link', 'show', 'pinned', path.join(pinDir(lab), 'links', `${ifname}-${hook}`), '--json'], { encoding: 'utf8' })) as { prog_id: number };
  const prog = JSON.parse(execFileSync('bpftool', ['prog', 'show', 'id', String(link.prog_id), '--json'], { encoding: 'utf8' })) as { run_time_ns?: number; run_cnt?: number };
  return { ns: prog.run_time_ns ?? 0, cnt: prog.run_cnt ?? 0 };
}

/** udpPaired: this UDP rate over "none"'s, measured right before it (the machine's slow drift cancels out). */
interface Sample { udpPps: number; tcpGbps: number; rrP50Us: number; rrP99Us: number; udpPaired?: number }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Median of the finite values (a repetition that timed out is NaN and reported separately). */
const median = (xs: number[]) => { const s = xs.filter(Number.isFinite).sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)]! : NaN; };
const ep = (s: LabState, w: string): EndpointState => s.endpoints.find((e) => e.workload === w)!;

function need(tool: string, pkg: string): void {
  try { execFileSync('sh', ['-c', 'command -v "$1"', 'sh', tool], { stdio: 'ignore' }); } catch { throw new Error(`${tool} is missing: run scripts/install-deps.sh (Debian package ${pkg})`); }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench:datapath needs root (BPF and network namespaces)');
  need('iperf3', 'iperf3');
  need('iptables-nft-restore', 'iptables');
  need('cc', 'gcc');
  const build = fs.mkdtempSync(path.join(os.tmpdir(), 'ps-bench-'));
  const traffic = path.join(build, 'traffic');
  execFileSync('cc', ['-O2', '-Wall', '-o', traffic, path.join(__dirname, 'traffic.c')]);

  const labOurs = uniqueLab('bo');
  const labNone = uniqueLab('bn');
  const labIpt = uniqueLab('bi');
  // Flows are read by event-pipeline.ts; until then nothing subscribes.
  const agent = startAgent(labOurs, { entry: 'bundle', onBatch: () => undefined });
  const background: Background[] = [];
  const cleanup = async () => {
    background.forEach((b) => b.stop());
    agent.dispose();
    await removeLabLeftovers(labOurs);
    await removeLabLeftovers(labNone);
    await removeLabLeftovers(labIpt);
    fs.rmSync(build, { recursive: true, force: true });
  };
  process.once('SIGINT', () => { void cleanup().finally(() => process.exit(130)); });
  try {
    await agent.hello();
    const spec = labWorkloads(emptyBundle());
    const none = await agent.connection.sendRequest(LabApply, { lab: labNone, workloads: spec });
    const ipt = await agent.connection.sendRequest(LabApply, { lab: labIpt, workloads: spec });
    const ours = await agent.connection.sendRequest(LabApply, { lab: labOurs, workloads: spec });
    const loaded = await agent.connection.sendRequest(DatapathLoad, {});
    if (!loaded.ok) throw new Error(`datapath load failed:\n${loaded.verifierLog}`);
    // Clients on CPU 0, servers and sinks on CPU 1 (on two or more CPUs): the same placement for every configuration.
    const onCpu = (cpu: number, command: string, args: string[]): [string, string[]] => (os.cpus().length >= 2 ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args]);
    const pinned = (cpu: number, args: string[]) => onCpu(cpu, traffic, args);
    for (const lab of [none, ipt, ours]) {
      const server = ep(lab, 'server');
      background.push(await startBackground(server.netns, ...onCpu(1, 'iperf3', ['-s', '-B', server.ip, '-p', String(PORTS.iperf), '--forceflush']), (o) => o.includes('Server listening')));
      background.push(await startBackground(server.netns, ...pinned(1, ['rr-server', String(PORTS.rr)])));
    }

    const iptables = (rules: string) => run(ipt.nodeNetns, 'iptables-nft-restore', [], rules);
    const noRules = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';
    const entriesOf = new Map<string, number>();
    const setupMs = new Map<string, number[]>();

    const udpPps = async (lab: LabState): Promise<number> => {
      const client = ep(lab, 'client');
      const server = ep(lab, 'server');
      const sink = await startBackground(server.netns, ...pinned(1, ['udp-sink', String(PORTS.sink), String(UDP_SECS + 1)]));
      const sent = await runJson<{ sent: number }>(client.netns, ...pinned(0, ['udp-send', server.ip, String(PORTS.sink), String(UDP_SECS), '0']));
      const received = JSON.parse((await sink.done).trim().split('\n').pop()!) as { received: number };
      if (received.received < sent.sent * 0.99) process.stderr.write(`  (the sink lost ${sent.sent - received.received} of ${sent.sent} datagrams)\n`);
      return received.received / UDP_SECS;
    };
    const measure = async (lab: LabState): Promise<Sample> => {
      const client = ep(lab, 'client');
      const server = ep(lab, 'server');
      const udp = await udpPps(lab);
      const tcp = await runJson<{ end: { sum_received: { bits_per_second: number } } }>(client.netns, ...onCpu(0, 'iperf3', ['-c', server.ip, '-p', String(PORTS.iperf), '-t', String(TCP_SECS), '-J']));
      const rr = await runJson<{ p50Us: number; p99Us: number }>(client.netns, ...pinned(0, ['rr-client', server.ip, String(PORTS.rr), String(RR_COUNT)]));
      return { udpPps: udp, tcpGbps: tcp.end.sum_received.bits_per_second / 1e9, rrP50Us: rr.p50Us, rrP99Us: rr.p99Us };
    };

    const samples = new Map<string, Sample[]>(CONFIGS.map((c) => [c.name, []]));
    for (let round = 1; round <= (process.env.BENCH_SKIP_CONFIGS || !ONLY.has('throughput') ? 0 : ROUNDS); round++) {
      for (const c of CONFIGS) {
        const t0 = Date.now();
        if (c.kind === 'iptables') await iptables(iptablesRules(c.rules, ep(ipt, 'client').ip, ep(ipt, 'server').ip));
        if (c.kind === 'ours') {
          await agent.connection.sendRequest(PolicyApply, { bundle: emptyBundle() });
          const applied = await agent.connection.sendRequest(PolicyApply, { bundle: bundleWithEntries(c.entries) });
          entriesOf.set(c.name, applied.entriesWritten);
          await agent.connection.sendRequest(DatapathLocalDelivery, { mode: c.routed ? 'routed' : 'direct' });
        }
        setupMs.set(c.name, [...(setupMs.get(c.name) ?? []), Date.now() - t0]);
        // Let the kernel finish the previous configuration's deferred work (freeing 10,000
        // nft rules, 100,000 map entries) before measuring: it otherwise lands on whichever
        // configuration comes next, which was always "none".
        await sleep(SETTLE_MS);
        const adjacentNone = c.kind === 'none' ? undefined : await udpPps(none);
        const sample = await measure(c.kind === 'ours' ? ours : c.kind === 'iptables' ? ipt : none);
        sample.udpPaired = adjacentNone ? sample.udpPps / adjacentNone : 1;
        samples.get(c.name)!.push(sample);
        if (c.kind === 'iptables') await iptables(noRules);
        process.stderr.write(`round ${round} ${c.name}: ${JSON.stringify(samples.get(c.name)!.at(-1))}\n`);
      }
    }
    // What the two programs cost per run on this traffic (kernel.bpf_stats_enabled, which itself adds
    // two clock reads per run: measured apart from the rounds so it does not weigh on their rates).
    const programCost: ProgramCost[] = [];
    if (ONLY.has('throughput')) {
      await agent.connection.sendRequest(PolicyApply, { bundle: bundleWithEntries(100_000) });
      const statsWas = fs.readFileSync(BPF_STATS, 'utf8').trim();
      fs.writeFileSync(BPF_STATS, '1');
      try {
        for (const mode of ['direct', 'routed'] as const) {
          await agent.connection.sendRequest(DatapathLocalDelivery, { mode });
          // from_endpoint on the client's veth, to_endpoint on the server's.
          const both = () => [programRun(labOurs, ep(ours, 'client').ifname, 'ingress'), programRun(labOurs, ep(ours, 'server').ifname, 'egress')];
          const before = both();
          const pps = await udpPps(ours);
          const after = both();
          const runs = (i: number) => after[i]!.cnt - before[i]!.cnt;
          const per = (i: number) => Math.round((after[i]!.ns - before[i]!.ns) / Math.max(1, runs(i)));
          programCost.push({ mode, udpPps: Math.round(pps), fromEndpointNs: per(0), toEndpointNs: per(1), fromEndpointRuns: runs(0), toEndpointRuns: runs(1) });
        }
      } finally {
        fs.writeFileSync(BPF_STATS, statsWas);
      }
    }
    await agent.connection.sendRequest(DatapathLocalDelivery, { mode: 'direct' });

    // Policy apply latency: a one-rule change in a 10,000-rule policy, RPC call → first packet through.
    const client = ep(ours, 'client');
    const server = ep(ours, 'server');
    // Each repetition opens a port of its own: a datagram flow that was allowed once stays
    // allowed through conntrack (as in Cilium), so re-closing and re-opening one port would measure nothing.
    // Three ways to make the change: policy/apply of the whole bundle (one policy of 10,000 rules);
    // policy/patch of the one changed policy in the same 10,000 rules spread over APPLY_POLICIES policies;
    // and policy/apply of that whole APPLY_POLICIES-policy bundle. Bundles are built before the clock
    // starts (a client has its bundle compiled before it calls); serialising the request is timed.
    const closed = await agent.connection.sendRequest(PolicyApply, { bundle: bundleWithRules(10_000) });
    const apply: Record<Way, ApplySample[]> = { apply: [], patch: [], apply100: [] };
    let port = PORTS.apply;
    for (const way of ONLY.has('apply') ? WAYS : []) {
      const closedBundle = way === 'apply' ? bundleWithRules(10_000) : bundleWithRulesInPolicies(10_000, APPLY_POLICIES);
      let base = await agent.connection.sendRequest(PolicyApply, { bundle: closedBundle });
      const change = (bundle: PolicyBundle) => way === 'patch'
        ? agent.connection.sendRequest(PolicyPatch, { baseGeneration: base.baseGeneration!, upsert: [bundle.policies[0]!], remove: [] })
        : agent.connection.sendRequest(PolicyApply, { bundle });
      for (let i = 0; i < APPLY_REPS; i++, port++) {
        const opened = way === 'apply' ? bundleWithRules(10_000, port) : bundleWithRulesInPolicies(10_000, APPLY_POLICIES, port);
        const first = await startBackground(server.netns, traffic, ['first', String(port), '60000']);
        const sender = await startBackground(client.netns, traffic, ['udp-send', server.ip, String(port), '120', '20000'], () => true);
        background.push(sender);
        await sleep(300); // closed: nothing may arrive yet
        const leakedBefore = first.output().includes('firstNs');
        const t0 = process.hrtime.bigint();
        base = await change(opened);
        const t1 = process.hrtime.bigint();
        const at = BigInt((JSON.parse((await first.done).trim().split('\n').pop()!) as { firstNs: number }).firstNs);
        sender.stop();
        apply[way].push({ firstPacketMs: at > 0n ? Number(at - t0) / 1e6 : NaN, rpcMs: Number(t1 - t0) / 1e6, agentFlipMs: agentFlipMs(agent.stderr()), leakedBefore });
        // Close the port again (the next repetition uses the next port).
        base = await change(closedBundle);
      }
    }

    // Event pipeline: trace-all, every event read by the client, loss counted (event-pipeline.ts).
    await agent.connection.sendRequest(PolicyApply, { bundle: bundleWithEntries(10) });
    const pipelines = ONLY.has('events')
      ? await runEventPipeline(agent, ours, { udpRates: PIPELINE_RATES, udpSecs: UDP_SECS, testRunRates: TESTRUN_RATES, testRunSecs: TESTRUN_SECS, trafficTool: traffic })
      : [];

    await agent.connection.sendRequest(FlowsUnsubscribe);

    report(samples, entriesOf, setupMs, apply, pipelines, closed.entriesWritten, programCost);
    await agent.connection.sendRequest(Shutdown).catch(() => undefined);
  } finally {
    await cleanup();
  }
}

function report(
  samples: Map<string, Sample[]>, entries: Map<string, number>, setupMs: Map<string, number[]>,
  applyWays: Record<Way, ApplySample[]>,
  pipelines: PipelineRun[], applyPolicyEntries: number, programCost: ProgramCost[],
): void {
  if (!samples.get('none')?.length) samples.clear();
  const none = samples.get('none') ?? [];
  const base = { udp: median(none.map((s) => s.udpPps)), tcp: median(none.map((s) => s.tcpGbps)), rr: median(none.map((s) => s.rrP50Us)) };
  const rows: Record<string, unknown>[] = [];
  const out: string[] = [];
  out.push(`bench:datapath — ${ROUNDS} interleaved rounds, medians; ratio = config / none (latency: none / config, so > 1 is better for all); paired = median over rounds of config / a "none" UDP run just before it`);
  out.push('| config | policy entries | UDP 64B pps | ratio | paired | TCP Gbit/s | ratio | RR p50 µs | ratio | RR p99 µs | setup ms |');
  out.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const [name, ss] of samples) {
    const udp = median(ss.map((s) => s.udpPps));
    const tcp = median(ss.map((s) => s.tcpGbps));
    const rr = median(ss.map((s) => s.rrP50Us));
    const p99 = median(ss.map((s) => s.rrP99Us));
    const row = {
      config: name, entries: entries.get(name) ?? null, udpPps: Math.round(udp), udpRatio: +(udp / base.udp).toFixed(3), tcpGbps: +tcp.toFixed(2),
      tcpRatio: +(tcp / base.tcp).toFixed(3), rrP50Us: rr, rrRatio: +(base.rr / rr).toFixed(3), rrP99Us: p99, setupMs: median(setupMs.get(name) ?? []),
      udpRange: [Math.round(Math.min(...ss.map((s) => s.udpPps))), Math.round(Math.max(...ss.map((s) => s.udpPps)))],
      udpPairedRatio: +median(ss.map((s) => s.udpPaired ?? NaN)).toFixed(3),
      udpPaired: ss.map((s) => +(s.udpPaired ?? NaN).toFixed(3)),
    };
    rows.push(row);
    out.push(`| ${name} | ${row.entries ?? '-'} | ${row.udpPps} [${row.udpRange.join('–')}] | ${row.udpRatio} | ${row.udpPairedRatio} [${row.udpPaired.join(', ')}] | ${row.tcpGbps} | ${row.tcpRatio} | ${rr} | ${row.rrRatio} | ${p99} | ${row.setupMs} |`);
  }
  if (programCost.length) {
    out.push('');
    out.push('program cost on this traffic at 100,000 entries (kernel.bpf_stats_enabled, a separate UDP run; ns per run, mean):');
    out.push('  (direct: the client\'s from_endpoint chain also decides the server\'s ingress; to_endpoint only sees what is routed)');
    for (const c of programCost) out.push(`  ${c.mode}: from_endpoint (client veth) ${c.fromEndpointNs} ns × ${c.fromEndpointRuns} runs, to_endpoint (server veth) ${c.toEndpointNs} ns × ${c.toEndpointRuns} runs, ${c.udpPps} pps`);
  }
  const applyLatency: Record<string, unknown> = { policyEntries: applyPolicyEntries };
  for (const [way, apply] of Object.entries(applyWays)) {
    if (!apply.length) continue;
    const firstMs = median(apply.map((a) => a.firstPacketMs));
    const rpcMs = median(apply.map((a) => a.rpcMs));
    const flipMs = median(apply.map((a) => a.agentFlipMs));
    const timedOut = apply.filter((a) => !Number.isFinite(a.firstPacketMs)).length;
    const what = way === 'apply' ? 'policy/apply of the whole bundle (one policy)'
      : way === 'patch' ? `policy/patch of one policy (the same rules as ${APPLY_POLICIES} policies)`
        : `policy/apply of the whole bundle (the same rules as ${APPLY_POLICIES} policies)`;
    out.push('');
    out.push(`policy apply, one-rule change in a 10,000-rule policy (${applyPolicyEntries} entries), ${what}: RPC call → first packet ${firstMs.toFixed(1)} ms median [${apply.map((a) => (Number.isFinite(a.firstPacketMs) ? a.firstPacketMs.toFixed(1) : 'none in 60 s')).join(', ')}] (target ≤ 50; ${timedOut} of ${apply.length} saw no packet within 60 s), RPC round trip ${rpcMs.toFixed(1)} ms median [${apply.map((a) => a.rpcMs.toFixed(0)).join(', ')}], in the agent call → flip ${flipMs.toFixed(1)} ms median [${apply.map((a) => a.agentFlipMs.toFixed(1)).join(', ')}]; packets before the change: ${apply.some((a) => a.leakedBefore) ? 'LEAKED' : 'none'}`);
    applyLatency[way] = { firstPacketMs: firstMs, rpcMs, agentFlipMs: flipMs, samples: apply };
  }
  out.push(...pipelineReport(pipelines));
  const ours100k = rows.find((r) => r.config === 'ours-100000');
  const met = ours100k && (ours100k.udpRatio as number) >= 0.95 && (ours100k.udpPairedRatio as number) >= 0.95;
  out.push(`target ours-100000 UDP pps ratio ≥ 0.95 (both ways of pairing): ${ours100k ? (met ? 'met' : 'NOT met') : 'n/a'} (ratio of medians ${ours100k?.udpRatio}, paired ${ours100k?.udpPairedRatio})`);
  console.log(out.join('\n'));
  console.log(JSON.stringify({ bench: 'datapath', rounds: ROUNDS, kernel: os.release(), rows, programCost, applyLatency, eventPipeline: pipelines }));
}

main().catch((e: Error) => {
  console.error(`bench:datapath failed: ${e.stack ?? e.message}`);
  process.exitCode = 1;
});

void REPO_ROOT;
