/**
 * `npm run bench:language`: the language server (the built bundle, as the
 * extension runs it) on a generated workspace of 10,000 lines (500 workloads,
 * 500 policies, 50 files), over LSP:
 *   - cold: from `initialized` to diagnostics for every file;
 *   - time to full diagnostics after an edit (a label value toggled between a
 *     misspelling and the right value, so each edit visibly changes them);
 *   - completion latency p50/p95 (label values, and keywords in a rule);
 *   - the server's resident memory.
 * The same measurements on examples/shop.policy alone are the baseline of this
 * run, so the ratios mean something on a busy machine. Targets (issue 6):
 * diagnostics after an edit ≤ 150 ms, completion p95 ≤ 20 ms.
 * Profiling: LSP_SERVER_CPU_PROF=DIR writes the server's .cpuprofile there
 * (BENCH_EDITS=100 BENCH_COMPLETIONS=10 makes the edit path dominate it).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CompletionList, Diagnostic } from 'vscode-languageserver';
import { LspSession } from '../../test/unit/language/lsp-session.js';
import { generateWorkspace, LINES, POLICIES, WORKLOADS } from './generate-workspace.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const EDITS = Number(process.env.BENCH_EDITS ?? 20);
const COMPLETIONS = Number(process.env.BENCH_COMPLETIONS ?? 200);

interface Figures { coldMs: number; editP50: number; editP95: number; completeP50: number; completeP95: number; rssMb: number }

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

const hasTypo = (ds: Diagnostic[]): boolean => ds.some((d) => (d.data as { code?: string } | undefined)?.code === 'unknown-label-value');

async function measure(files: Array<{ name: string; text: string }>, editFile: string, typo: [string, string]): Promise<Figures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-bench-'));
  try {
    for (const f of files) fs.writeFileSync(path.join(dir, f.name), f.text);
    const started = performance.now();
    const lsp = await LspSession.start(dir, { bundle: true });
    try {
      for (const f of files) await lsp.diagnosticsWhere(lsp.uri(f.name), () => true, 300_000);
      const coldMs = performance.now() - started;

      const uri = lsp.uri(editFile);
      const original = files.find((f) => f.name === editFile)!.text;
      const misspelt = original.replace(typo[0], typo[1]);
      await lsp.open(uri, original);
      const edits: number[] = [];
      for (let i = 0; i < EDITS; i++) {
        const broken = i % 2 === 0;
        const t0 = performance.now();
        await lsp.change(uri, broken ? misspelt : original);
        await lsp.diagnosticsWhere(uri, (ds) => hasTypo(ds) === broken, 60_000);
        edits.push(performance.now() - t0);
      }

      const lines = original.split('\n');
      const selectLine = lines.findIndex((l) => l.includes('select app == "'));
      const valuePosition = { line: selectLine, character: lines[selectLine]!.indexOf('"') + 1 };
      const ruleLine = lines.findIndex((l) => l.trim().startsWith('allow from'));
      const keywordPosition = { line: ruleLine, character: lines[ruleLine]!.indexOf('allow') };
      const completions: number[] = [];
      for (let i = 0; i < COMPLETIONS; i++) {
        const t0 = performance.now();
        const list = await lsp.request<CompletionList>('textDocument/completion', { textDocument: { uri }, position: i % 2 ? valuePosition : keywordPosition });
        completions.push(performance.now() - t0);
        if (!list.items.length) throw new Error('completion returned nothing');
      }
      return {
        coldMs, editP50: percentile(edits, 50), editP95: percentile(edits, 95),
        completeP50: percentile(completions, 50), completeP95: percentile(completions, 95), rssMb: rssMb(lsp.server.pid!),
      };
    } finally {
      await lsp.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (!fs.existsSync(path.join(root, 'dist/language-server.js'))) {
  console.error('dist/language-server.js is missing: run `npm run build` first');
  process.exit(2);
}
const shop = { name: 'shop.policy', text: fs.readFileSync(path.join(root, 'examples/shop.policy'), 'utf8') };
const baseline = await measure([shop], 'shop.policy', ['select app == "db"', 'select app == "dbb"']);
const big = await measure(generateWorkspace(), 'gen00.policy', ['select app == "app-0"', 'select app == "app-0x"']);

const row = (name: string, unit: string, b: number, g: number, target?: number): string =>
  `| ${name} | ${b.toFixed(1)} ${unit} | ${g.toFixed(1)} ${unit} | ${(g / b).toFixed(1)}x | ${target === undefined ? '' : `${target} ${unit} ${g <= target ? 'met' : 'MISSED'}`} |`;
console.log(`language benchmark: ${LINES} lines, ${WORKLOADS} workloads, ${POLICIES} policies; ${EDITS} edits, ${COMPLETIONS} completions; ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}`);
console.log('| measure | baseline (shop.policy) | 10,000 lines | ratio | target |');
console.log('| --- | --- | --- | --- | --- |');
console.log(row('cold start to all diagnostics', 'ms', baseline.coldMs, big.coldMs));
console.log(row('diagnostics after an edit p50', 'ms', baseline.editP50, big.editP50, 150));
console.log(row('diagnostics after an edit p95', 'ms', baseline.editP95, big.editP95));
console.log(row('completion p50', 'ms', baseline.completeP50, big.completeP50));
console.log(row('completion p95', 'ms', baseline.completeP95, big.completeP95, 20));
console.log(row('server RSS', 'MB', baseline.rssMb, big.rssMb));
