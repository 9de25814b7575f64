/**
 * Every datapath build (from Deploy or Build Datapath) in the Datapath log:
 * per-program verifier statistics when it loaded; the stage, each diagnostic
 * and the verifier's full log when it was rejected, so the log a user needs
 * after a rejection is one click from the error.
 */
import type * as vscode from 'vscode';
import type { DatapathBuild, DatapathBuilds } from './builds';

export function logDatapathBuilds(builds: DatapathBuilds, log: vscode.LogOutputChannel): vscode.Disposable {
  return builds.onDidChange((build) => logBuild(build, log));
}

function logBuild({ result }: DatapathBuild, log: vscode.LogOutputChannel): void {
  const timing = `compile ${result.compileMs ?? '?'} ms, load ${result.loadMs ?? '?'} ms`;
  if (result.ok) {
    log.info(`datapath loaded: ${result.programs.length} programs (${timing})`);
    for (const p of result.programs) {
      log.info(`  ${p.program}: ${p.insnsProcessed ?? '?'} insns processed, ${p.states ?? '?'} states, stack ${p.stackDepth ?? '?'}, ${p.verificationTimeUs ?? '?'} µs`);
    }
    for (const d of result.diagnostics) log.warn(`${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`);
    return;
  }
  log.error(`datapath rejected at ${result.stage ?? 'build'} (${timing}); the previous datapath keeps enforcing`);
  for (const d of result.diagnostics) log.error(`${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`);
  if (result.verifierLog.trim()) log.info(`${result.stage === 'compile' ? 'compiler output' : 'verifier log'}:\n${result.verifierLog}`);
}
