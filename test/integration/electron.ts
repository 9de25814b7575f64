/**
 * The same integration suites under @vscode/test-electron, for machines that
 * can download VS Code (this one cannot: use run.ts here). Not run by npm test.
 *
 *   node --import tsx test/integration/electron.ts
 */
import { runTests } from '@vscode/test-electron';
import fs from 'node:fs';
import { removeLabLeftovers } from '../harness/lab-cleanup';
import { REPO_ROOT } from '../harness/vscode-server';
import { INTEGRATION_LAB, SUITE_INDEX, buildSuites, prepareWorkspace } from './prepare';

async function main(): Promise<number> {
  await buildSuites();
  const workspace = prepareWorkspace();
  try {
    return await runTests({
      version: '1.100.3',
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath: SUITE_INDEX,
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
    });
  } catch (err) {
    console.error(err);
    return 1;
  } finally {
    await removeLabLeftovers(INTEGRATION_LAB);
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (err) => { console.error(err); process.exit(1); });
