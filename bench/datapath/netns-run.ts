/**
 * Running the benchmark's traffic tools inside lab namespaces: a command in a
 * namespace to completion (its stdout's last JSON line), or a server that
 * prints `ready` and runs until stopped by its PID. nsenter --net only: the
 * tools never see the machine's own network.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { netnsPath } from '../../src/agent/lab/names';

const execFileAsync = promisify(execFile);

export function inNetns(netns: string, command: string, args: string[]): { command: string; args: string[] } {
  return { command: 'nsenter', args: [`--net=${netnsPath(netns)}`, '--', command, ...args] };
}

/** Runs to completion and parses the last JSON line of its stdout. */
export async function runJson<T>(netns: string, command: string, args: string[], timeoutMs = 60_000): Promise<T> {
  const c = inNetns(netns, command, args);
  const { stdout } = await execFileAsync(c.command, c.args, { timeout: timeoutMs, maxBuffer: 16 << 20 });
  // One JSON document (iperf3 -J, pretty-printed), or JSON as the last line (our tools).
  try { return JSON.parse(stdout) as T; } catch { /* not one document */ }
  const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) throw new Error(`${command} ${args.join(' ')} printed no result: ${stdout.slice(-500)}`);
  return JSON.parse(line) as T;
}

export async function run(netns: string, command: string, args: string[], input?: string): Promise<string> {
  const c = inNetns(netns, command, args);
  return new Promise((resolve, reject) => {
    const child = execFile(c.command, c.args, { maxBuffer: 16 << 20 }, (err, stdout, stderr) => (err ? reject(new Error(`${command}: ${err.message} ${stderr}`)) : resolve(stdout)));
    if (input !== undefined) child.stdin!.end(input);
  });
}

export interface Background { pid: number; output(): string; done: Promise<string>; stop(): void }

/** Starts a tool that prints `ready` (or whose readiness is `readyWhen`), resolves once it is ready. */
export function startBackground(netns: string, command: string, args: string[], readyWhen: (out: string) => boolean = (o) => o.includes('ready')): Promise<Background> {
  const c = inNetns(netns, command, args);
  const child: ChildProcess = spawn(c.command, c.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-2000); });
  const done = new Promise<string>((resolve) => child.once('exit', () => resolve(out)));
  const bg: Background = {
    pid: child.pid!,
    output: () => out,
    done,
    stop: () => { if (child.exitCode === null && child.signalCode === null) { try { process.kill(child.pid!, 'SIGTERM'); } catch { /* gone */ } } },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { bg.stop(); reject(new Error(`${command} did not get ready in ${netns}: ${err}`)); }, 20_000);
    const check = () => { if (readyWhen(out + err)) { clearTimeout(timer); resolve(bg); } };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    check(); // tools that print nothing until they finish are ready at once
    void done.then(() => { clearTimeout(timer); if (!readyWhen(out + err)) reject(new Error(`${command} exited in ${netns}: ${err}`)); });
  });
}
