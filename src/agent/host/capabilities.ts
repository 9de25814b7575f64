/**
 * What this machine can do, measured rather than assumed: root, BTF, a
 * mounted bpffs, tcx (kernel >= 6.6), the tools the datapath build needs and
 * libbpf's headers. `missing` lists, in words a user can act on, what stops
 * the datapath from loading.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { Capabilities } from '../../protocol/agent-rpc';
import { tryRun } from './exec';

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function kernelAtLeast(release: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return false;
  const [ma, mi] = [Number(m[1]), Number(m[2])];
  return ma > major || (ma === major && mi >= minor);
}

export function bpffsMounted(mountsText: string): boolean {
  return mountsText.split('\n').some((line) => {
    const [, mountPoint, type] = line.split(' ');
    return mountPoint === '/sys/fs/bpf' && type === 'bpf';
  });
}

/** First line of `<tool> <args>` that carries a version number, or null when the tool is absent. */
async function toolVersion(command: string, args: string[]): Promise<string | null> {
  const r = await tryRun(command, args, { timeoutMs: 5000 });
  if (!r) return null;
  const text = `${r.stdout}\n${r.stderr}`;
  const line = text.split('\n').find((l) => /\d+\.\d+/.test(l)) ?? text.split('\n')[0] ?? '';
  return line.trim() || 'unknown version';
}

export async function probeCapabilities(): Promise<Capabilities> {
  let mounts = '';
  try {
    mounts = fs.readFileSync('/proc/mounts', 'utf8');
  } catch { /* not Linux: everything below reports missing */ }
  const [clang, bpftool, ipTool, cc] = await Promise.all([
    toolVersion('clang', ['--version']),
    toolVersion('bpftool', ['version']),
    toolVersion('ip', ['-V']),
    toolVersion('cc', ['--version']),
  ]);
  const caps: Capabilities = {
    root: isRoot(),
    btf: fs.existsSync('/sys/kernel/btf/vmlinux'),
    bpffs: bpffsMounted(mounts),
    tcx: os.platform() === 'linux' && kernelAtLeast(os.release(), 6, 6),
    tools: { clang, bpftool, ip: ipTool, cc },
    libbpf: fs.existsSync('/usr/include/bpf/libbpf.h') && fs.existsSync('/usr/include/bpf/bpf_helpers.h'),
    missing: [],
  };
  const missing = caps.missing;
  if (!caps.root) missing.push('root privileges (run the agent as root, e.g. with sudo)');
  if (!caps.btf) missing.push('kernel BTF (/sys/kernel/btf/vmlinux; needs CONFIG_DEBUG_INFO_BTF)');
  if (!caps.bpffs) missing.push('bpffs at /sys/fs/bpf (mount -t bpf bpf /sys/fs/bpf)');
  if (!caps.tcx) missing.push(`tcx attachment (kernel ${os.release()} is older than 6.6)`);
  if (!clang) missing.push('clang (apt-get install clang llvm)');
  if (!bpftool) missing.push('bpftool (apt-get install bpftool)');
  if (!ipTool) missing.push('ip (apt-get install iproute2)');
  if (!cc) missing.push('a C compiler for the loader (apt-get install build-essential)');
  if (!caps.libbpf) missing.push('libbpf headers (apt-get install libbpf-dev)');
  return caps;
}
