/**
 * Last-resort cleanup of a test lab: whatever the agent's teardown left behind
 * (its network namespaces, processes inside them, bpffs pins, state dir).
 * Only touches objects named after the given lab, which tests choose uniquely.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { NETNS_DIR, netnsPrefix, pinDir, stateDir } from '../../src/agent/lab/names';

const execFileAsync = promisify(execFile);

/** Names of the lab's network namespaces that still exist. */
export function labNamespaces(lab: string): string[] {
  let entries: string[];
  try { entries = fs.readdirSync(NETNS_DIR); } catch { return []; }
  return entries.filter((name) => name.startsWith(netnsPrefix(lab))).sort();
}

/** Removes what is left of `lab`; returns a description of each thing it had to remove. */
export async function removeLabLeftovers(lab: string): Promise<string[]> {
  const removed: string[] = [];
  for (const ns of labNamespaces(lab)) {
    // Processes the lab started inside its namespaces (probe listeners) are ours to end.
    const { stdout } = await execFileAsync('ip', ['netns', 'pids', ns]).catch(() => ({ stdout: '' }));
    for (const pid of stdout.split(/\s+/).filter(Boolean).map(Number)) {
      try { process.kill(pid, 'SIGKILL'); removed.push(`process ${pid} in ${ns}`); } catch { /* gone */ }
    }
    await execFileAsync('ip', ['netns', 'del', ns]).catch(() => undefined);
    removed.push(`netns ${ns}`);
  }
  for (const dir of [pinDir(lab), stateDir(lab)]) {
    if (fs.existsSync(dir)) {
      fs.rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    }
  }
  return removed;
}
