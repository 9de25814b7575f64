/**
 * Webview benchmark (npm run bench:webview): the flows view's front end in
 * Chromium, fed like the extension host feeds it. It loads the real webview
 * bundle (media/flows/main.ts, built here with esbuild) in a plain page with a
 * stub acquireVsCodeApi and the real stylesheet; the host's side (its flow
 * ring and the panel's FlowFeed, feeder.ts) runs in a Web Worker and posts
 * the panel's own messages, which reach the view as structured clones as
 * through VS Code's webview channel. It streams 200,000 flows (agent-sized
 * batches) while the list follows the tail, scrolls through 100,000 retained
 * rows, and streams again with a filter active.
 *
 * Frame times are the intervals between animation frames (requestAnimationFrame)
 * and are reported with a baseline measured in the same run on the same page
 * with nothing happening, so machine noise shows up in both. Memory is the JS
 * heap after a forced GC with 100,000 rows retained, the typed arrays' backing
 * stores (outside the JS heap), and the DOM node count.
 */
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { FLOWS_BODY } from '../../src/extension/views/flows-markup';
import type { StreamRequest } from './feeder';

const ROOT = path.resolve(__dirname, '../..');
const TOTAL = Number(process.env.BENCH_FLOWS ?? 200_000);
/** Flows per agent batch and batch interval: 20,000 flows/s is a busy lab with trace-all. */
const BATCH = Number(process.env.BENCH_BATCH ?? 3_000);
const INTERVAL_MS = 150;
/** BENCH_PROFILE=1: an unminified bundle and a CPU profile of each phase, summarised as the functions with the most self time. */
const PROFILE = Boolean(process.env.BENCH_PROFILE);

/** BENCH_BASELINE=<git revision>: also measure the flows front end of that revision, first, in the same run (before/after under the same machine load). */
const BASELINE = process.env.BENCH_BASELINE;

/** The flows bundle of the tree at `root` (packages from this checkout's node_modules). */
async function bundle(root: string, out: string): Promise<string> {
  await build({ entryPoints: [path.join(root, 'media/flows/main.ts')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', minify: !PROFILE, outfile: out, logLevel: 'warning', nodePaths: [path.join(ROOT, 'node_modules')] });
  return out;
}

/** The front end's sources at a git revision, extracted under `dir` (argument arrays only: the revision is user text). */
function checkoutFrontEnd(revision: string, dir: string): string {
  const archive = execFileSync('git', ['-C', ROOT, 'archive', '--format=tar', revision, 'media', 'src/protocol'], { maxBuffer: 256 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  return dir;
}

/** Dark+ theme variables the stylesheet uses, so the page paints as in VS Code. */
const THEME = `:root { --vscode-foreground:#ccc; --vscode-editor-background:#1e1e1e; --vscode-descriptionForeground:#999; --vscode-panel-border:#444;
  --vscode-list-hoverBackground:#2a2d2e; --vscode-list-activeSelectionBackground:#04395e; --vscode-list-activeSelectionForeground:#fff;
  --vscode-errorForeground:#f48771; --vscode-testing-iconPassed:#73c991; --vscode-badge-background:#4d4d4d; --vscode-badge-foreground:#fff;
  --vscode-font-family: sans-serif; --vscode-font-size: 13px; --vscode-textLink-foreground:#3794ff; }`;

/** The feeder (host side) in a worker: its messages are re-dispatched to the view as they arrive, already cloned across threads. */
function page(scriptUrl: string): string {
  return `<!DOCTYPE html><html><head><meta charset="UTF-8"><style>${THEME}</style><link rel="stylesheet" href="/flows.css"></head><body>${FLOWS_BODY}
<script>
  // tsx keeps function names with an __name helper; functions passed to page.evaluate need it here too.
  window.__name = (f) => f;
  window.__posted = [];
  window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m), getState: () => undefined, setState: () => undefined });
  window.__feeder = fetch('/feeder.js').then((r) => r.blob()).then((b) => {
    const worker = new Worker(URL.createObjectURL(b));
    worker.onmessage = (e) => {
      if (e.data && e.data.type === 'bench/done') window.__streamed();
      else window.dispatchEvent(new MessageEvent('message', { data: e.data }));
    };
    return worker;
  });
  window.__stream = (request) => window.__feeder.then((worker) => new Promise((resolve) => { window.__streamed = resolve; worker.postMessage(request); }));
</script>
<script type="module" src="${scriptUrl}"></script></body></html>`;
}

/** Installed in the page: a frame recorder. */
function pageHelpers(): void {
  const w = window as unknown as Record<string, unknown>;
  w.frames = [] as number[];
  w.recording = false;
  const loop = (t: number) => { if (w.recording) (w.frames as number[]).push(t); requestAnimationFrame(loop); };
  requestAnimationFrame(loop);
}

/** cpuMsPerFrame: the renderer main thread's CPU time (trace thread time, so time the thread sat preempted on a busy machine is not counted); feederMsPerFrame: the part spent in the benchmark's own sender (serializing the batches it posts). */
interface Phase { name: string; frames: number[]; scriptMsPerFrame: number; cpuMsPerFrame: number; feederMsPerFrame: number }

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }

/** The functions with the most self time in a CDP CPU profile (sampled), in ms. */
function hotSpots(profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }, top = 20): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...self].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, ms]) => `${ms.toFixed(1).padStart(8)} ms  ${k}`);
}

async function metrics(cdp: CDPSession): Promise<Record<string, number>> {
  const { metrics: list } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(list.map((m: { name: string; value: number }) => [m.name, m.value]));
}

interface TraceEvent { name: string; ph: string; dur?: number; tdur?: number; pid: number; tid: number; args?: { name?: string } }

/** Main-thread CPU time of a trace by event name (nested events overlap: ThreadControllerImpl::RunTask, the scheduler's tasks, is the total), in ms of thread time. */
function mainThreadTime(trace: { traceEvents: TraceEvent[] }, top = 15): Map<string, { ms: number; n: number }> {
  const main = trace.traceEvents.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const total = new Map<string, { ms: number; n: number }>();
  for (const e of trace.traceEvents) {
    if (!main || e.pid !== main.pid || e.tid !== main.tid || e.ph !== 'X' || !e.dur) continue;
    const t = total.get(e.name) ?? { ms: 0, n: 0 };
    t.ms += (e.tdur ?? e.dur) / 1000;
    t.n++;
    total.set(e.name, t);
  }
  return total;
}

function summary(total: Map<string, { ms: number; n: number }>, top = 15): string[] {
  return [...total].sort((a, b) => b[1].ms - a[1].ms).slice(0, top).map(([k, t]) => `${t.ms.toFixed(1).padStart(8)} ms  ${String(t.n).padStart(5)}×  ${k}`);
}

async function record(p: Page, cdp: CDPSession, name: string, action: () => Promise<void>): Promise<Phase> {
  const before = await metrics(cdp);
  const browser = p.context().browser()!;
  await browser.startTracing(p, { categories: PROFILE ? ['toplevel', 'devtools.timeline', 'v8', 'disabled-by-default-devtools.timeline'] : ['toplevel', 'devtools.timeline'] });
  if (PROFILE) { await cdp.send('Profiler.enable'); await cdp.send('Profiler.setSamplingInterval', { interval: 200 }); await cdp.send('Profiler.start'); }
  await p.evaluate(() => { const w = window as unknown as Record<string, unknown>; w.frames = []; w.recording = true; });
  await action();
  const frames = await p.evaluate(() => { const w = window as unknown as Record<string, unknown>; w.recording = false; return w.frames as number[]; });
  const after = await metrics(cdp);
  if (PROFILE) {
    const { profile } = await cdp.send('Profiler.stop');
    console.log(`\nCPU self time, ${name}:\n${hotSpots(profile as never).join('\n')}`);
  }
  const intervals = frames.slice(1).map((t, i) => t - frames[i]);
  const busy = ((after.ScriptDuration - before.ScriptDuration) + (after.LayoutDuration - before.LayoutDuration) + (after.RecalcStyleDuration - before.RecalcStyleDuration)) * 1000;
  const trace = mainThreadTime(JSON.parse((await browser.stopTracing()).toString()) as { traceEvents: TraceEvent[] });
  if (PROFILE) console.log(`\nMain thread CPU by trace event, ${name}:\n${summary(trace).join('\n')}`);
  const perFrame = (ms: number): number => (intervals.length ? ms / intervals.length : 0);
  return {
    name, frames: intervals, scriptMsPerFrame: perFrame(busy),
    // The profiler's own start-up runs on the main thread too; it is not the page's work.
    cpuMsPerFrame: perFrame((trace.get('ThreadControllerImpl::RunTask')?.ms ?? 0) - (trace.get('CpuProfiler::StartProfiling')?.ms ?? 0)),
    feederMsPerFrame: perFrame(trace.get('TimerFire')?.ms ?? 0),
  };
}

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
}

/** Streams `count` flows from the host side (the worker) and waits until it has posted them all. */
async function stream(p: Page, mode: StreamRequest['mode'], from: number, count: number): Promise<void> {
  const request: StreamRequest = { mode, from, count, batch: BATCH, intervalMs: INTERVAL_MS };
  await p.evaluate((r) => (window as unknown as { __stream(r: StreamRequest): Promise<void> }).__stream(r), request);
}

interface Run { label: string; phases: Phase[]; retained: string; mem: Record<string, number> }

/** Every phase on a fresh page running the bundle `script` with the stylesheet `css`, fed in the host's message form `mode`. */
async function measure(browser: Browser, label: string, script: string, css: string, feeder: string, mode: StreamRequest['mode']): Promise<Run> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  try {
    const p = await context.newPage();
    // Served from memory on a made-up origin: nothing leaves the machine.
    await p.route('http://bench.invalid/**', async (route) => {
      const url = new URL(route.request().url());
      if (url.pathname === '/') return route.fulfill({ contentType: 'text/html', body: page('/flows.js') });
      if (url.pathname === '/flows.js') return route.fulfill({ contentType: 'text/javascript', body: fs.readFileSync(script) });
      if (url.pathname === '/flows.css') return route.fulfill({ contentType: 'text/css', body: fs.readFileSync(css) });
      if (url.pathname === '/feeder.js') return route.fulfill({ contentType: 'text/javascript', body: fs.readFileSync(feeder) });
      return route.fulfill({ status: 404, body: '' });
    });
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(String(e)));
    await p.goto('http://bench.invalid/');
    await p.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
    await p.evaluate(pageHelpers);
    const cdp = await context.newCDPSession(p);
    await cdp.send('Performance.enable');

    const phases: Phase[] = [];
    phases.push(await record(p, cdp, 'idle (baseline)', () => p.waitForTimeout(2000)));
    phases.push(await record(p, cdp, `stream ${TOTAL.toLocaleString()} flows, following the tail`, () => stream(p, mode, 0, TOTAL)));
    await p.waitForTimeout(500);
    const retained = await p.evaluate(() => document.getElementById('count')?.textContent ?? '');
    await cdp.send('HeapProfiler.collectGarbage');
    const mem = await metrics(cdp);
    const usage = await cdp.send('Runtime.getHeapUsage') as { usedSize: number; backingStorageSize?: number };
    mem.BackingStorageSize = usage.backingStorageSize ?? NaN;
    phases.push(await record(p, cdp, 'scroll through 100,000 retained rows', async () => {
      await p.mouse.move(600, 400);
      for (let i = 0; i < 120; i++) { await p.mouse.wheel(0, i < 60 ? -4000 : 2500); await p.waitForTimeout(16); }
    }));
    await p.locator('#filter input').fill('verdict:dropped to:db');
    phases.push(await record(p, cdp, 'stream 50,000 more with a filter (verdict:dropped to:db)', () => stream(p, mode, TOTAL, 50_000)));
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    return { label, phases, retained, mem };
  } finally {
    await context.close();
  }
}

function report(run: Run): void {
  const { phases, retained, mem } = run;
  const base = pct(phases[0].frames, 95);
  console.log(`\n${run.label}: flows webview front end in Chromium (${os.cpus().length} CPUs; agent batches of ${BATCH} every ${INTERVAL_MS} ms)\n`);
  console.log('| phase | frames | p50 ms | p95 ms | p99 ms | max ms | p95 / idle p95 | frames > 33 ms | script+style+layout ms/frame | main-thread CPU ms/frame | of it the feeder\'s |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const ph of phases) {
    const long = ph.frames.filter((f) => f > 33.4).length;
    console.log(`| ${ph.name} | ${ph.frames.length} | ${pct(ph.frames, 50).toFixed(1)} | ${pct(ph.frames, 95).toFixed(1)} | ${pct(ph.frames, 99).toFixed(1)} | ${Math.max(...ph.frames).toFixed(1)} | ${(pct(ph.frames, 95) / base).toFixed(2)} | ${long} (${((100 * long) / Math.max(1, ph.frames.length)).toFixed(1)}%) | ${ph.scriptMsPerFrame.toFixed(2)} | ${ph.cpuMsPerFrame.toFixed(2)} | ${ph.feederMsPerFrame.toFixed(2)} |`);
  }
  console.log(`\nRetained after streaming: "${retained}"; JS heap ${(mem.JSHeapUsedSize / 1048576).toFixed(1)} MiB after GC, typed-array backing stores ${(mem.BackingStorageSize / 1048576).toFixed(1)} MiB; ${mem.Nodes} DOM nodes.`);
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-studio-bench-webview-'));
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--js-flags=--expose-gc'] });
  try {
    const runs: Run[] = [];
    const feeder = path.join(dir, 'feeder.js');
    await build({ entryPoints: [path.join(ROOT, 'bench/webview/feeder.ts')], bundle: true, format: 'iife', platform: 'browser', target: 'es2022', outfile: feeder, logLevel: 'warning' });
    if (BASELINE) {
      const old = checkoutFrontEnd(BASELINE, fs.mkdtempSync(path.join(dir, 'baseline-')));
      // A revision from before columnar messages gets flow objects, as its host sent them.
      const mode = fs.existsSync(path.join(old, 'src/protocol/flow-columns.ts')) ? 'columns' : 'objects';
      runs.push(await measure(browser, `baseline ${BASELINE} (${mode})`, await bundle(old, path.join(dir, 'baseline.js')), path.join(old, 'media/flows.css'), feeder, mode));
    }
    runs.push(await measure(browser, 'this tree (columns)', await bundle(ROOT, path.join(dir, 'flows.js')), path.join(ROOT, 'media/flows.css'), feeder, 'columns'));
    runs.forEach(report);
    console.log('\nTarget: stream p95 ≤ 16 ms of work per frame at 60 Hz (frame interval p95 ≈ the idle baseline\'s). Main-thread CPU is thread time: the figure least bent by other load on the machine.');
  } finally {
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
