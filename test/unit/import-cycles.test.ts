/**
 * No module of src/ imports itself through others (value imports; `import
 * type` is erased and may go both ways). A cycle makes load order matter —
 * a value read before its module finished loading is undefined — and is a
 * sign two files share a job that belongs in a third.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(__dirname, '../..');
const IMPORT = /^(?:import|export)\s+(type\s+)?[^'"]*?from\s+['"](\.[^'"]+)['"]/gm;

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== 'generated') sourceFiles(p, out); } else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

function valueImports(file: string): string[] {
  const deps: string[] = [];
  for (const m of fs.readFileSync(file, 'utf8').matchAll(IMPORT)) {
    if (m[1]) continue;
    const target = path.resolve(path.dirname(file), m[2]!).replace(/\.js$/, '');
    const found = [`${target}.ts`, path.join(target, 'index.ts')].find((c) => fs.existsSync(c));
    if (found) deps.push(found);
  }
  return deps;
}

/** Strongly connected components of more than one file (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>(); const low = new Map<string, number>();
  const stack: string[] = []; const onStack = new Set<string>(); const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next); low.set(v, next++); stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); scc.push(path.relative(ROOT, w)); } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

test('the finder finds a cycle of two files', () => {
  assert.deepEqual(cycles(new Map([[path.join(ROOT, 'a.ts'), [path.join(ROOT, 'b.ts')]], [path.join(ROOT, 'b.ts'), [path.join(ROOT, 'a.ts')]]])), [['a.ts', 'b.ts']]);
});

test('src/ has no value-import cycles', () => {
  const files = sourceFiles(path.join(ROOT, 'src'));
  assert.ok(files.length > 100, `found the sources (${files.length} files)`);
  const graph = new Map(files.map((f) => [f, valueImports(f)]));
  assert.deepEqual(cycles(graph), []);
});
