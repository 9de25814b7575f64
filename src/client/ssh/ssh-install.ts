/**
 * The SSH target's "install the missing packages" (after the user consented):
 * apt-get over the same kind of exec channel as the agent, as root or with
 * `sudo -n`; every argument quoted by shell-quote.ts, never a shell string
 * built from package names.
 */
import type { Client } from 'ssh2';
import { runAptInstall, type AptInstallOutcome } from '../missing-packages';
import { preflight } from './ssh-agent';
import { execCapture } from './ssh-exec';

export async function installPackagesOverSsh(client: Client, packages: readonly string[], log: (line: string) => void): Promise<AptInstallOutcome> {
  const pre = await preflight(client);
  if (pre.uid !== 0 && !pre.sudo) {
    return { ok: false, commands: [], output: `Installing packages needs root: you are uid ${pre.uid} on this VM and sudo asks for a password. Install them yourself: sudo apt-get install ${packages.join(' ')}` };
  }
  // A fixed script, no user text.
  if (!(await execCapture(client, { script: 'command -v apt-get' })).stdout.trim()) {
    return { ok: false, commands: [], output: 'This VM has no apt-get: install the packages with its own package manager (clang, llvm, libbpf headers, bpftool, iproute2, a C compiler, nodejs).' };
  }
  return runAptInstall(packages, pre.uid === 0, (argv) => execCapture(client, argv), log);
}
