// One build for every bundle: the extension, the language server, the agent,
// the CLI and the webviews. Langium's generator runs first so the grammar and
// the bundles never disagree.
import { build, context } from 'esbuild';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

if (fs.existsSync(path.join(root, 'langium-config.json'))) {
  // node20-compat: chevrotain 13 (under langium) calls Object.groupBy, which Node 20 lacks.
  execFileSync(process.execPath, ['--require', path.join(root, 'src/language-server/node20-compat.cjs'),
    path.join(root, 'node_modules/langium-cli/bin/langium.js'), 'generate'], {
    cwd: root, stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  absWorkingDir: root,
};
const node = { ...common, platform: 'node', format: 'cjs', target: 'node18' };

const bundles = [
  // ssh2's optional native crypto and cpu-features stay out: ssh2 requires them in try/catch and falls back to pure JS.
  { ...node, entryPoints: ['src/extension/main.ts'], outfile: 'dist/extension.js', external: ['vscode', 'cpu-features', '*.node'] },
  { ...node, entryPoints: ['src/language-server/main.ts'], outfile: 'dist/language-server.js' },
  // The agent runs inside the dev VM: one file, no native dependencies, Node >= 18.
  { ...node, entryPoints: ['src/agent/main.ts'], outfile: 'dist/agent.js' },
  { ...node, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js' },
  { ...common, platform: 'browser', format: 'esm', target: 'es2022', entryPoints: ['media/flows/main.ts'], outfile: 'dist/media/flows.js' },
  { ...common, platform: 'browser', format: 'esm', target: 'es2022', entryPoints: ['media/maps/main.ts'], outfile: 'dist/media/maps.js' },
  { ...common, platform: 'browser', format: 'esm', target: 'es2022', entryPoints: ['media/verifier/main.ts'], outfile: 'dist/media/verifier.js' },
  { ...common, platform: 'browser', format: 'esm', target: 'es2022', entryPoints: ['media/explain/main.ts'], outfile: 'dist/media/explain.js' },
  { ...common, platform: 'browser', format: 'esm', target: 'es2022', entryPoints: ['media/service-map/main.ts'], outfile: 'dist/media/service-map.js' },
].filter((b) => fs.existsSync(path.join(root, b.entryPoints[0])));

if (watch) {
  for (const b of bundles) await (await context(b)).watch();
  console.log(`watching ${bundles.length} bundles`);
} else {
  const t0 = Date.now();
  await Promise.all(bundles.map((b) => build(b)));
  console.log(`built ${bundles.map((b) => b.outfile).join(', ')} in ${Date.now() - t0} ms`);
}
