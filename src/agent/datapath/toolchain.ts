/**
 * Builds what the datapath runs on the target: vmlinux.h from the running
 * kernel's BTF, the BPF object (clang -target bpf) and the ps-loader binary
 * (cc … -lbpf). Outputs are cached in buildDir by a hash of their sources,
 * so a deploy that changed nothing compiles nothing.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { release } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { CompilerDiagnostic } from '../../protocol/agent-rpc';
import { parseClangDiagnostics } from './compiler-diagnostics';

/** The datapath's program files in bpfDir (the rest are lib/ headers and the loader). */
export const PROGRAM_SOURCE = 'bpf_lxc.c';
export const LOADER_SOURCE = join('loader', 'ps-loader.c');

const BPF_CFLAGS = ['-O2', '-g', '-target', 'bpf', '-D__TARGET_ARCH_x86', '-Wall'];
const LOADER_CFLAGS = ['-O2', '-g', '-Wall'];
const LOADER_LIBS = ['-lbpf', '-lelf', '-lz'];

interface RunResult { code: number; stdout: string; stderr: string }

function run(cmd: string, args: string[], maxBuffer = 64 * 1024 * 1024): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { maxBuffer, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
      resolve({ code, stdout, stderr: stderr || (err && !stderr ? String(err.message) : '') });
    });
  });
}

async function hashFiles(root: string, files: string[], extra: string): Promise<string> {
  const h = createHash('sha256');
  h.update(extra);
  for (const f of [...files].sort()) {
    h.update(relative(root, f));
    h.update('\0');
    h.update(await readFile(f));
    h.update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

async function listSources(dir: string, skip: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skip.includes(entry.name)) out.push(...await listSources(p, skip));
    } else if (/\.(c|h)$/.test(entry.name)) {
      out.push(p);
    }
  }
  return out;
}

/** Writes via a temporary file so a concurrent or interrupted build never leaves half a file. */
async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** vmlinux.h of the running kernel, in a directory of its own per kernel release (a reboot into another kernel gets a fresh one). */
export async function ensureVmlinuxHeader(buildDir: string): Promise<string> {
  const dir = join(buildDir, 'vmlinux', release());
  const path = join(dir, 'vmlinux.h');
  if (existsSync(path)) return path;
  await mkdir(dir, { recursive: true });
  const res = await run('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], 256 * 1024 * 1024);
  if (res.code !== 0) throw new Error(`bpftool btf dump failed: ${res.stderr.trim()}`);
  await writeAtomically(path, res.stdout);
  return path;
}

export interface ObjectBuild {
  ok: boolean;
  objectPath: string;
  /** Hash of the sources; names the object and tells whether a rebuild changed anything. */
  hash: string;
  cached: boolean;
  compileMs: number;
  diagnostics: CompilerDiagnostic[];
  /** clang's full output. */
  output: string;
}

export async function compileBpfObject(bpfDir: string, buildDir: string): Promise<ObjectBuild> {
  const started = Date.now();
  const vmlinuxDir = dirname(await ensureVmlinuxHeader(buildDir));
  const sources = await listSources(bpfDir, ['loader']);
  const hash = await hashFiles(bpfDir, sources, `${BPF_CFLAGS.join(' ')} ${release()}`);
  const objectPath = join(buildDir, `bpf_lxc-${hash}.o`);
  if (existsSync(objectPath)) {
    return { ok: true, objectPath, hash, cached: true, compileMs: 0, diagnostics: [], output: '' };
  }
  const tmp = `${objectPath}.tmp-${process.pid}`;
  const res = await run('clang', [...BPF_CFLAGS, `-I${bpfDir}`, `-I${vmlinuxDir}`, '-c', join(bpfDir, PROGRAM_SOURCE), '-o', tmp]);
  const diagnostics = parseClangDiagnostics(res.stderr);
  if (res.code === 0) await rename(tmp, objectPath);
  return { ok: res.code === 0, objectPath, hash, cached: false, compileMs: Date.now() - started, diagnostics, output: res.stderr };
}

/** Compiles ps-loader against the target's libbpf; returns its path. */
export async function buildLoader(bpfDir: string, buildDir: string): Promise<string> {
  const source = join(bpfDir, LOADER_SOURCE);
  const hash = await hashFiles(bpfDir, [source], [...LOADER_CFLAGS, ...LOADER_LIBS].join(' '));
  const binary = join(buildDir, `ps-loader-${hash}`);
  if (existsSync(binary)) return binary;
  await mkdir(buildDir, { recursive: true });
  const tmp = `${binary}.tmp-${process.pid}`;
  const res = await run('cc', [...LOADER_CFLAGS, source, '-o', tmp, ...LOADER_LIBS]);
  if (res.code !== 0) throw new Error(`compiling ps-loader failed (is libbpf-dev installed?):\n${res.stderr}`);
  await rename(tmp, binary);
  return binary;
}
