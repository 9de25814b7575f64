/**
 * Runs the integration suites (mocha inside the Node extension host, full
 * `vscode` API: the @vscode/test-electron model) through the offline VS Code
 * server: the workbench is opened in Chromium with an extensionDevelopmentPath
 * + extensionTestsPath payload on a server started with
 * --enable-smoke-test-driver; the host's exit code arrives through
 * window.codeAutomationExit and mocha's output through window.codeAutomationLog.
 *
 *   node --import tsx test/integration/run.ts [--timeout SECONDS]
 *
 * Exit code 0 only if every test passed. Logs: test-results/integration/;
 * mocha's pending tests by name in test-results/integration.skips (read by
 * scripts/test.sh's skip accounting).
 */
import fs from 'node:fs';
import path from 'node:path';
import { format } from 'node:util';
import { ARTIFACTS_ROOT, openWorkbench, type Workbench } from '../harness/browser';
import { formatSkips } from '../harness/skipped-tests';
import { removeLabLeftovers } from '../harness/lab-cleanup';
import { REPO_ROOT, startVsCodeServer, type VsCodeServer } from '../harness/vscode-server';
import { INTEGRATION_LAB, RESULTS_ENV, SUITE_INDEX, buildSuites, prepareWorkspace, type IntegrationResults } from './prepare';

const timeoutArg = process.argv.indexOf('--timeout');
const TIMEOUT_MS = (timeoutArg > 0 ? Number(process.argv[timeoutArg + 1]) : 600) * 1000;
const ARTIFACTS = path.join(ARTIFACTS_ROOT, 'integration');

// Workbench chatter that is not the tests' output.
const NOISE = /^(\[(AgentHost|ChatModelSelection|AccountPolicyGate|reconnection-grace-time|Service Worker)|Resolving connection|Resolved connection|Creating a socket|Updating additional builtin|Timed out waiting for authentication|ChatSessionStore|Creation of workbench contribution|getaddrinfo|\s+at )|ENOTFOUND/;

async function main(): Promise<number> {
  fs.rmSync(ARTIFACTS, { recursive: true, force: true });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await buildSuites();
  const workspace = prepareWorkspace();
  const resultsFile = path.join(ARTIFACTS, 'results.json');
  const workbenchLog = path.join(ARTIFACTS, 'workbench.log');
  let server: VsCodeServer | undefined;
  let workbench: Workbench | undefined;
  let exitCode: number | undefined;
  try {
    server = await startVsCodeServer({
      smokeTestDriver: true,
      env: { [RESULTS_ENV]: resultsFile },
      logFile: path.join(ARTIFACTS, 'server.log'),
    });
    const srv = server;
    let resolveExit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => { resolveExit = resolve; });
    workbench = await openWorkbench(server.url, workspace, [
      ['extensionDevelopmentPath', srv.remoteUri(REPO_ROOT)],
      ['extensionTestsPath', srv.remoteUri(SUITE_INDEX)],
    ], {
      artifactsDir: ARTIFACTS,
      beforeNavigate: async (page) => {
        await page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(code));
        await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
          const line = format(...args);
          fs.appendFileSync(workbenchLog, `[${type}] ${line}\n`);
          if (!NOISE.test(line)) console.log(`  ${line}`);
        });
      },
    });
    let timer: NodeJS.Timeout | undefined;
    exitCode = await Promise.race([exited, new Promise<number>((resolve) => {
      timer = setTimeout(() => { console.error(`integration: timed out after ${TIMEOUT_MS / 1000} s`); resolve(124); }, TIMEOUT_MS);
    })]);
    clearTimeout(timer);
    if (exitCode !== 0) await workbench.screenshot('failure').catch(() => undefined);
  } catch (err) {
    console.error('integration: harness error:', err);
    if (workbench) await workbench.screenshot('harness-error').catch(() => undefined);
    exitCode = 1;
  } finally {
    await workbench?.close();
    await server?.stop();
    for (const what of await removeLabLeftovers(INTEGRATION_LAB)) console.error(`integration: removed leftover ${what}`);
    fs.rmSync(workspace, { recursive: true, force: true });
  }
  const results = readResults(resultsFile);
  if (exitCode !== 0 && results.failed === 0) results.failed = 1; // the host crashed or timed out before mocha reported
  fs.writeFileSync(path.join(ARTIFACTS_ROOT, 'integration.skips'), formatSkips(results.skipped));
  for (const skip of results.skipped) console.log(`integration: skipped ${skip.name} (${skip.reason})`);
  console.log(`integration: ${results.passed} passed, ${results.failed} failed, ${results.skipped.length} skipped (extension host exit code ${exitCode})`);
  return exitCode === 0 && results.failed === 0 ? 0 : 1;
}

function readResults(file: string): IntegrationResults {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as IntegrationResults;
    return { passed: r.passed, failed: r.failed, failures: r.failures, skipped: r.skipped };
  } catch {
    return { passed: 0, failed: 0, failures: [], skipped: [] };
  }
}

main().then((code) => process.exit(code), (err) => { console.error(err); process.exit(1); });
