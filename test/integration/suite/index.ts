/**
 * extensionTestsPath: VS Code's extension host requires this file and awaits
 * run(). Runs every *.test.js next to it with mocha (tdd UI: suite/test).
 */
import fs from 'node:fs';
import path from 'node:path';
import Mocha from 'mocha';

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60_000, reporter: 'spec' });
  const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort();
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  const stats = await new Promise<{ passed: number; failed: number; failures: string[] }>((resolve) => {
    const failures: string[] = [];
    const runner = mocha.run(() => resolve({
      passed: runner.stats?.passes ?? 0, failed: runner.stats?.failures ?? failures.length, failures,
    }));
    runner.on('fail', (t, err: Error) => failures.push(`${t.fullTitle()}: ${err.message}`));
  });
  // The runner outside VS Code reads counts from here (the exit code only says pass/fail).
  const resultsFile = process.env.POLICY_STUDIO_IT_RESULTS;
  if (resultsFile) fs.writeFileSync(resultsFile, JSON.stringify(stats));
  if (stats.failed > 0) throw new Error(`${stats.failed} integration test(s) failed`);
}
