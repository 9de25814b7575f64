/**
 * A real dockerd for a test, separate from any system Docker: its own socket,
 * exec-root and pidfile in a temp dir, no bridge and no iptables rules (the dev
 * container needs no network; the image build uses the host network for apt).
 * Its data-root is cached outside the clone so the base and dev images are
 * built once per machine. `stop()` ends it by PID, and removes docker0 if it
 * appeared while this daemon ran.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';

const execFileAsync = promisify(execFile);
export const CACHE_DIR = process.env.POLICY_STUDIO_CACHE || '/var/cache/policy-studio';
/** Bump when the base image recipe changes. */
export const BASE_VERSION = 1;
export const BASE_TAR = path.join(CACHE_DIR, `docker-base-bookworm-${BASE_VERSION}.tar`);
export const BASE_IMAGE = `policy-studio-base:bookworm-${BASE_VERSION}`;
const DATA_ROOT = path.join(CACHE_DIR, 'dockerd-test-data');
const MIRROR = 'http://deb.debian.org/debian';

export interface TestDockerd { docker: Docker; socket: string; pid: number; stop(): Promise<void>; log(): string }

function linkExists(name: string): boolean {
  return fs.existsSync(`/sys/class/net/${name}`);
}

export async function startDockerd(): Promise<TestDockerd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ps-dockerd-'));
  fs.mkdirSync(DATA_ROOT, { recursive: true });
  const socket = path.join(dir, 'docker.sock');
  const hadDocker0 = linkExists('docker0');
  let log = '';
  const child: ChildProcess = spawn('dockerd', [
    '-H', `unix://${socket}`, '--data-root', DATA_ROOT, '--exec-root', path.join(dir, 'exec'), '--pidfile', path.join(dir, 'docker.pid'),
    '--bridge=none', '--iptables=false', '--ip-masq=false',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-20_000); });
  child.stderr!.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-20_000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (!hadDocker0 && linkExists('docker0')) execFileSync('ip', ['link', 'del', 'docker0']);
    // dockerd leaves mounts under its exec-root (e.g. exec/netns/default): unmount them, deepest first, before removing it.
    const mounts = fs.readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(`${dir}/`));
    for (const m of mounts.sort((a, b) => b.length - a.length)) {
      try { execFileSync('umount', ['-l', m]); } catch { /* already gone */ }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const docker = new Docker({ socketPath: socket });
  for (let i = 0; ; i++) {
    try {
      await docker.ping();
      break;
    } catch {
      if (child.exitCode !== null || i > 300) {
        await stop();
        throw new Error(`dockerd did not start: ${log.slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { docker, socket, pid: child.pid!, stop, log: () => log };
}

/** debootstrap's minbase bookworm as a tar, made once per machine (~75 s) and kept in the cache dir. */
export async function ensureBaseTar(): Promise<string> {
  if (fs.existsSync(BASE_TAR)) return BASE_TAR;
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const work = fs.mkdtempSync(path.join(CACHE_DIR, 'debootstrap-'));
  try {
    await execFileAsync('debootstrap', ['--variant=minbase', 'bookworm', path.join(work, 'rootfs'), MIRROR], { maxBuffer: 64 * 1024 * 1024 });
    await execFileAsync('tar', ['-C', path.join(work, 'rootfs'), '-cf', `${BASE_TAR}.partial`, '.']);
    fs.renameSync(`${BASE_TAR}.partial`, BASE_TAR);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return BASE_TAR;
}

/** `docker import` of the cached rootfs tar, unless the engine has it already. */
export async function ensureBaseImage(docker: Docker): Promise<string> {
  try {
    await docker.getImage(BASE_IMAGE).inspect();
    return BASE_IMAGE;
  } catch { /* import it */ }
  const tar = await ensureBaseTar();
  const [repo, tag] = BASE_IMAGE.split(':');
  const stream = await docker.importImage(fs.createReadStream(tar), { repo, tag });
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
  return BASE_IMAGE;
}
