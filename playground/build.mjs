// Builds the playground into playground/dist: the page with Vite, then the
// policy language server for a web worker with esbuild (platform browser, so
// no Node-only module gets in). Skips both when nothing they read changed
// since the last build (a hash of their contents: `npm run build`
// regenerates Langium's files with new mtimes but the same text), so tests and
// `npm run playground` pay for a build only once.
//
//   node playground/build.mjs [--force]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const dist = path.join(here, 'dist');
const stampFile = path.join(dist, '.build-stamp');
export const WORKER_FILE = 'policy-server.worker.js';

/** Files and directories whose contents decide the build output. */
const INPUTS = [
  'playground/index.html', 'playground/src', 'playground/vite.config.ts', 'playground/package-lock.json',
  'src/language-server', 'src/protocol', 'examples/shop.policy',
  'media/policy.tmLanguage.json', 'media/language-configuration.json',
];

function listFiles(rel) {
  const abs = path.join(root, rel);
  if (!fs.existsSync(abs)) return [];
  if (!fs.statSync(abs).isDirectory()) return [rel];
  return fs.readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

function inputStamp() {
  const hash = createHash('sha256');
  for (const rel of INPUTS.flatMap(listFiles).sort()) {
    hash.update(`${rel}\0`).update(fs.readFileSync(path.join(root, rel))).update('\n');
  }
  return hash.digest('hex');
}

/** npm ci into playground/node_modules (its own tree: see package.json's description). */
export function ensureDependencies() {
  if (fs.existsSync(path.join(here, 'node_modules/monaco-languageclient/package.json'))) return;
  console.log('playground: installing its dependencies (npm ci in playground/)');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit' });
}

/** Langium's generated parser, if `npm run build` has not produced it yet. */
function ensureGeneratedLanguage() {
  if (fs.existsSync(path.join(root, 'src/language-server/generated/module.ts'))) return;
  execFileSync(process.execPath, ['--require', path.join(root, 'src/language-server/node20-compat.cjs'),
    path.join(root, 'node_modules/langium-cli/bin/langium.js'), 'generate'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}

export async function buildPlayground({ force = false } = {}) {
  ensureDependencies();
  ensureGeneratedLanguage();
  const stamp = inputStamp();
  if (!force && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) {
    console.log('playground: up to date');
    return dist;
  }
  const t0 = Date.now();
  // Build beside dist and swap it in at the end: a server or a second build
  // running at the same time never sees a half-written dist.
  const staging = `${dist}.tmp-${process.pid}`;
  try {
    // Vite lives in playground/node_modules; import it from there.
    const { build: viteBuild } = await import(pathToFileURL(path.join(here, 'node_modules/vite/dist/node/index.js')).href);
    await viteBuild({ configFile: path.join(here, 'vite.config.ts'), build: { outDir: staging } });
    const { build: esbuild } = await import('esbuild');
    await esbuild({
      absWorkingDir: root,
      entryPoints: ['src/language-server/main-browser.ts'],
      outfile: path.join(staging, WORKER_FILE),
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      minify: true,
      logLevel: 'warning',
    });
    fs.writeFileSync(path.join(staging, '.build-stamp'), stamp);
    fs.rmSync(dist, { recursive: true, force: true });
    fs.renameSync(staging, dist);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  console.log(`playground: built ${path.relative(root, dist)} in ${Date.now() - t0} ms`);
  return dist;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildPlayground({ force: process.argv.includes('--force') });
}
