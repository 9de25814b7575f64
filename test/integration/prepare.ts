/**
 * What both integration runners (offline VS Code server, @vscode/test-electron)
 * need before VS Code starts: the mocha suites bundled for the extension host,
 * and a throwaway workspace with the examples and its own lab name.
 */
import { build } from 'esbuild';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SkippedTest } from '../harness/skipped-tests';
import { REPO_ROOT } from '../harness/vscode-server';

export const SUITE_SRC = path.join(REPO_ROOT, 'test', 'integration', 'suite');
export const SUITE_OUT = path.join(REPO_ROOT, 'out', 'integration', 'suite');
/** extensionTestsPath: exports run(). */
export const SUITE_INDEX = path.join(SUITE_OUT, 'index.js');
/**
 * A lab name no user lab uses (`studio` is the default) and unique per run
 * (`it<pid>`, at most 8 characters), so tests never touch a user's lab or a
 * concurrent run's.
 */
export const INTEGRATION_LAB = process.env.POLICY_STUDIO_IT_LAB ?? `it${process.pid % 100_000}`;
/** Where the suite index writes its IntegrationResults for the runner. */
export const RESULTS_ENV = 'POLICY_STUDIO_IT_RESULTS';

export interface IntegrationResults { passed: number; failed: number; failures: string[]; skipped: SkippedTest[] }

/** Bundles suite/*.ts into out/integration/suite/ (vscode and mocha stay external: the host provides them). */
export async function buildSuites(): Promise<void> {
  fs.rmSync(SUITE_OUT, { recursive: true, force: true });
  const entryPoints = fs.readdirSync(SUITE_SRC).filter((f) => f.endsWith('.ts')).map((f) => path.join(SUITE_SRC, f));
  await build({
    entryPoints, outdir: SUITE_OUT, bundle: true, platform: 'node', format: 'cjs', target: 'node18',
    sourcemap: 'inline', external: ['vscode', 'mocha'], logLevel: 'warning', absWorkingDir: REPO_ROOT,
  });
}

/** A temp copy of examples/ with .vscode/settings.json naming the integration lab. */
export function prepareWorkspace(lab = INTEGRATION_LAB): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-studio-it-ws-'));
  const examples = path.join(REPO_ROOT, 'examples');
  if (fs.existsSync(examples)) fs.cpSync(examples, ws, { recursive: true });
  fs.mkdirSync(path.join(ws, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'),
    JSON.stringify({
      'policyStudio.labName': lab,
      // The web workbench auto-saves by default; suites edit in memory and revert, the file on disk must not change.
      'files.autoSave': 'off',
    }, null, 2));
  return ws;
}
