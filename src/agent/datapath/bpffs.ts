/**
 * bpffs: where the datapath's maps and links are pinned so they outlive the
 * loader (the datapath keeps enforcing while the agent restarts).
 */
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
export const BPFFS_ROOT = '/sys/fs/bpf';

export async function isBpffsMounted(root = BPFFS_ROOT): Promise<boolean> {
  const mounts = await readFile('/proc/mounts', 'utf8');
  return mounts.split('\n').some((line) => {
    const [, mountPoint, fsType] = line.split(' ');
    return mountPoint === root && fsType === 'bpf';
  });
}

export async function ensureBpffs(root = BPFFS_ROOT): Promise<void> {
  if (await isBpffsMounted(root)) return;
  await execFileAsync('mount', ['-t', 'bpf', 'bpf', root]);
}

/** Pins must live on bpffs: refuse anything else before removing it recursively. */
export async function removePinDir(pinDir: string): Promise<void> {
  if (!pinDir.startsWith(`${BPFFS_ROOT}/`) || pinDir.includes('..')) {
    throw new Error(`refusing to remove ${pinDir}: not under ${BPFFS_ROOT}`);
  }
  await rm(pinDir, { recursive: true, force: true });
}
