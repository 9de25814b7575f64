/**
 * Network namespace and veth plumbing through iproute2. Every call passes its
 * names as separate arguments (see exec.ts); names were validated by names.ts.
 */
import fs from 'node:fs';
import { run, CommandError } from '../host/exec';
import { NETNS_DIR, netnsPath } from './names';

export function netnsExists(name: string): boolean {
  return fs.existsSync(netnsPath(name));
}

export function listNetns(prefix: string): string[] {
  try {
    return fs.readdirSync(NETNS_DIR).filter((n) => n.startsWith(prefix)).sort();
  } catch {
    return [];
  }
}

export async function addNetns(name: string): Promise<void> {
  if (!netnsExists(name)) await run('ip', ['netns', 'add', name]);
  await ip(name, ['link', 'set', 'lo', 'up']);
}

/** Deleting a namespace deletes its veths too, and with them their tcx attachments. */
export async function deleteNetns(name: string): Promise<void> {
  if (!netnsExists(name)) return;
  try {
    await run('ip', ['netns', 'del', name]);
  } catch (e) {
    if (netnsExists(name)) throw e;
  }
}

/** `ip -n <netns> …` */
export async function ip(netns: string, args: readonly string[]): Promise<string> {
  return (await run('ip', ['-n', netns, ...args])).stdout;
}

/** Run a command inside a namespace without remounting /sys (unlike `ip netns exec`, bpffs stays visible). */
export async function inNetns(netns: string, command: string, args: readonly string[], timeoutMs?: number): Promise<string> {
  return (await run('nsenter', [`--net=${netnsPath(netns)}`, '--', command, ...args], { timeoutMs })).stdout;
}

export async function sysctl(netns: string, key: string, value: string): Promise<void> {
  await inNetns(netns, 'sysctl', ['-qw', `${key}=${value}`]);
}

export async function linkExists(netns: string, ifname: string): Promise<boolean> {
  try {
    await ip(netns, ['link', 'show', 'dev', ifname]);
    return true;
  } catch (e) {
    if (e instanceof CommandError && !e.notFound) return false;
    throw e;
  }
}

/** The MAC address of a link (`ip -j link show`), aa:bb:cc:dd:ee:ff. */
export async function linkMac(netns: string, ifname: string): Promise<string> {
  const links = JSON.parse(await ip(netns, ['-j', 'link', 'show', 'dev', ifname])) as { address?: string }[];
  const mac = links[0]?.address;
  if (!mac || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac)) throw new Error(`${ifname} in ${netns} has no Ethernet address (${JSON.stringify(links)})`);
  return mac;
}
