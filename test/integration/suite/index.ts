/**
 * extensionTestsPath: VS Code's extension host requires this file and awaits
 * run(). Runs every *.test.js next to it with mocha (tdd UI: suite/test).
 */
import fs from 'node:fs';
import path from 'node:path';
import Mocha from 'mocha';
import { NAME_SEPARATOR, type SkippedTest } from '../../harness/skipped-tests';
import type { IntegrationResults } from '../prepare';

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60_000, reporter: 'spec' });
  const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort();
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  const stats = await new Promise<IntegrationResults>((resolve) => {
    const failures: string[] = [];
    const skipped: SkippedTest[] = [];
    const runner = mocha.run(() => resolve({
      passed: runner.stats?.passes ?? 0, failed: runner.stats?.failures ?? failures.length, failures, skipped,
    }));
    runner.on('fail', (t, err: Error) => failures.push(`${t.fullTitle()}: ${err.message}`));
    // Pending: `test.skip`, a test without a body, or `this.skip()` inside one (mocha gives no reason).
    runner.on('pending', (t) => skipped.push({ kind: 'skip', name: t.titlePath().join(NAME_SEPARATOR), reason: 'pending in mocha' }));
  });
  // The runner outside VS Code reads counts from here (the exit code only says pass/fail).
  const resultsFile = process.env.POLICY_STUDIO_IT_RESULTS;
  if (resultsFile) fs.writeFileSync(resultsFile, JSON.stringify(stats));
  if (stats.failed > 0) throw new Error(`${stats.failed} integration test(s) failed`);
}
