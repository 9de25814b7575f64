/**
 * The one place the agent runs external commands. Always execFile with an
 * argument array: user text (lab, workload and namespace names) may end up in
 * arguments, and it must never be interpreted by a shell.
 */
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface ExecResult { stdout: string; stderr: string }

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly notFound = false,
  ) {
    super(notFound
      ? `${command}: not found (is it installed and on PATH?)`
      : `${command} ${args.join(' ')} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim() || 'no output'}`);
    this.name = 'CommandError';
  }
}

export interface RunOptions { timeoutMs?: number; input?: string }

/** Run a command to completion; rejects with CommandError on a non-zero exit. */
export function run(command: string, args: readonly string[], opts: RunOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, {
      timeout: opts.timeoutMs ?? 30_000,
      maxBuffer: 64 * 1024 * 1024,
      encoding: 'utf8',
      shell: false,
    }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const notFound = code === 'ENOENT';
        const exitCode = typeof code === 'number' ? code : null;
        reject(new CommandError(command, args, exitCode, stderr || err.message, notFound));
        return;
      }
      resolve({ stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Like run(), but resolves null instead of rejecting: for probing tools that may be absent. */
export async function tryRun(command: string, args: readonly string[], opts: RunOptions = {}): Promise<ExecResult | null> {
  try {
    return await run(command, args, opts);
  } catch {
    return null;
  }
}

/** Start a long-running child (probe helpers); the caller owns it and ends it by PID. */
export function start(command: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
  return spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts, shell: false });
}

/** argv that re-runs this agent (bundled dist/agent.js or src/agent/main.ts under tsx) with extra arguments. */
export function selfCommand(extraArgs: readonly string[]): { command: string; args: string[] } {
  const entry = process.argv[1];
  if (!entry) throw new Error('cannot locate the agent entry point (process.argv[1] is empty)');
  return { command: process.execPath, args: [...process.execArgv, entry, ...extraArgs] };
}
