/**
 * Lima instances, as `limactl list --json` describes them (one JSON object per
 * line). A running instance is reached over SSH through the config file Lima
 * writes for it (`Host lima-<name>`); a stopped one can be started first.
 * limactl runs with an argument array, never through a shell.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { resolveSshHost, type SshHostConfig } from '../ssh/ssh-config';

const execFileAsync = promisify(execFile);

export interface LimaInstance {
  name: string;
  status: string;
  dir: string;
  sshLocalPort: number;
  sshConfigFile: string;
  arch?: string;
  cpus?: number;
  memory?: number;
}

export class LimactlMissingError extends Error {
  constructor() {
    super('limactl was not found on PATH, so no Lima instances can be listed. Install Lima (https://lima-vm.io), or choose the SSH or Docker target instead.');
  }
}

/** Parses `limactl list --json`: one object per line (older versions print one JSON array). */
export function parseLimaList(text: string): LimaInstance[] {
  const trimmed = text.trim();
  if (!trimmed) return [];
  const objects: unknown[] = trimmed.startsWith('[') ? (JSON.parse(trimmed) as unknown[]) : trimmed.split(/\r?\n/).filter((l) => l.trim()).map((l) => JSON.parse(l) as unknown);
  return objects.map((o) => {
    const r = o as Record<string, unknown>;
    if (typeof r.name !== 'string' || typeof r.status !== 'string') throw new Error(`limactl list: an entry without name/status: ${JSON.stringify(o).slice(0, 200)}`);
    return {
      name: r.name,
      status: r.status,
      dir: String(r.dir ?? ''),
      sshLocalPort: Number(r.sshLocalPort ?? 0),
      sshConfigFile: String(r.sshConfigFile ?? ''),
      arch: typeof r.arch === 'string' ? r.arch : undefined,
      cpus: typeof r.cpus === 'number' ? r.cpus : undefined,
      memory: typeof r.memory === 'number' ? r.memory : undefined,
    };
  });
}

async function runLimactl(args: string[], limactl: string, timeoutMs: number): Promise<string> {
  try {
    const { stdout } = await execFileAsync(limactl, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new LimactlMissingError();
    const err = e as { stderr?: string; message: string };
    throw new Error(`limactl ${args.join(' ')} failed: ${(err.stderr || err.message).trim().slice(-1000)}`);
  }
}

export async function listLimaInstances(limactl = 'limactl'): Promise<LimaInstance[]> {
  return parseLimaList(await runLimactl(['list', '--json'], limactl, 30_000));
}

/** `limactl start NAME` (boots the VM; can take minutes). */
export async function startLimaInstance(name: string, limactl = 'limactl'): Promise<void> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new Error(`not a Lima instance name: ${JSON.stringify(name)}`);
  await runLimactl(['start', name], limactl, 15 * 60_000);
}

/** Host, port, user and key of a running instance, from the ssh config Lima wrote for it. */
export function limaSshHost(instance: LimaInstance): SshHostConfig {
  if (instance.status !== 'Running') throw new Error(`Lima instance ${instance.name} is ${instance.status}; start it first (limactl start ${instance.name}).`);
  if (!instance.sshConfigFile || !fs.existsSync(instance.sshConfigFile)) throw new Error(`Lima instance ${instance.name}: its ssh config ${instance.sshConfigFile || '(none)'} is missing`);
  const host = resolveSshHost(`lima-${instance.name}`, fs.readFileSync(instance.sshConfigFile, 'utf8'));
  // The config always names the forwarded port; older Lima versions only put it in the list output.
  if (host.port === 22 && instance.sshLocalPort) host.port = instance.sshLocalPort;
  return host;
}
