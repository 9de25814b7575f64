/**
 * `policy-studio`: the policy language on the command line, for CI.
 *   test FILES… [--live]   exit 0 only if every expect passes (1 otherwise, 2 on usage or compile errors)
 *   check FILES…           diagnostics, exit 1 on errors
 *   trace FILES… --from W --to W:PORT/PROTO
 *   export --format cilium|k8s FILES…, import FILE.yaml
 */
import * as fs from 'node:fs';
import { blockingErrors, compileFiles } from '../language-server/compile-workspace.js';
import { trace, UnknownWorkloadError } from '../language-server/evaluator.js';
import { parseArgs, parseTarget, UsageError, type CliArgs } from './args.js';
import { InterruptedError, LiveSetupError, runLiveTests } from './live-test.js';
import { decisionText } from '../protocol/decision-text.js';
import { SourcePaths } from './report.js';
import { runStaticTests } from './static-test.js';
import { runExportCommand } from './export-command.js';
import { runImportCommand } from './import-command.js';

const print = (line: string): void => { process.stdout.write(line + '\n'); };
const printError = (line: string): void => { process.stderr.write(line + '\n'); };

async function run(argv: string[]): Promise<number> {
  // Interop verbs parse their own arguments (src/cli/export-command.ts, import-command.ts).
  const io = { out: (text: string): void => { process.stdout.write(text); }, err: printError };
  if (argv[0] === 'export') return runExportCommand(argv.slice(1), io);
  if (argv[0] === 'import') return runImportCommand(argv.slice(1), io);
  let args: CliArgs;
  try {
    args = parseArgs(argv);
    const parsed = args;
    if (parsed.verb === 'trace') parseTarget(parsed.to!);
    for (const file of parsed.files) if (!fs.existsSync(file)) throw new UsageError(`${file}: no such file`);
  } catch (err) {
    if (err instanceof UsageError) { printError(err.message); return 2; }
    throw err;
  }

  const compiled = await compileFiles(args.files);
  const paths = new SourcePaths(args.files);
  const errors = compiled.problems.filter((p) => p.severity === 'error');

  if (args.verb === 'check') {
    for (const problem of compiled.problems) print(paths.problem(problem));
    const warnings = compiled.problems.length - errors.length;
    print(`${errors.length} error${errors.length === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`);
    return errors.length ? 1 : 0;
  }

  // A failing expect is reported by `test` itself (FAIL line) and does not stop `trace`.
  for (const problem of compiled.problems) if (problem.code !== 'expect-fails') printError(paths.problem(problem));
  if (blockingErrors(compiled.problems).length) return 2;

  if (args.verb === 'trace') {
    const target = parseTarget(args.to!);
    try {
      const result = trace(compiled.bundle, args.from!, target.workload, target.port, target.protocol, target.icmpType);
      print(decisionText(result, (source) => paths.line(source)));
      for (const step of result.steps) print(`  ${step}`);
      return 0;
    } catch (err) {
      if (err instanceof UnknownWorkloadError) { printError(err.message); return 2; }
      throw err;
    }
  }

  if (args.live) {
    try {
      const { failed } = await runLiveTests(compiled.bundle, paths, { labName: args.lab, verbose: false, print, printError });
      return failed ? 1 : 0;
    } catch (err) {
      if (err instanceof LiveSetupError) { printError(err.message); return 2; }
      if (err instanceof InterruptedError) return new Promise<number>(() => undefined); // the signal handler exits
      throw err;
    }
  }
  const { failed } = runStaticTests(compiled.bundle, paths, print);
  return failed ? 1 : 0;
}

run(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    printError(`policy-studio: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    process.exitCode = 2;
  },
);
