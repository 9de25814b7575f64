/**
 * A real OpenSSH server for a test: its own config, host key and authorized
 * key in a temp dir, listening on 127.0.0.1:<free port>, logging in as root
 * with a key (other users once `authorize(user, key)` lists theirs). It never
 * touches the system sshd or its config. `stop()` ends it (and its
 * per-connection children) by PID and removes the temp dir.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const SSHD = '/usr/sbin/sshd';

export interface TestSshd {
  port: number;
  dir: string;
  /** Private key authorized for root. */
  clientKey: string;
  /** The server's public host key line (`ssh-ed25519 AAAA…`). */
  hostPublicKey: string;
  pid: number;
  /** Lets `user` log in with this public key line (sshd reads it as that user, so it is world-readable). */
  authorize(user: string, publicKeyLine: string): void;
  /** PIDs of the per-connection sshd processes (to drop connections from the server side). */
  sessionPids(): number[];
  stop(): Promise<void>;
  log(): string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch { /* exited */ }
  }
  return out;
}

function keygen(file: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'policy-studio-test', '-f', file]);
}

export interface SshdOptions {
  /** Only these users may log in (sshd's AllowUsers); default: anyone with an authorized key. */
  allowUsers?: string[];
}

export async function startSshd(options: SshdOptions = {}): Promise<TestSshd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ps-sshd-'));
  // sshd reads a user's authorized keys with that user's rights: let others traverse (not list) the dir.
  fs.chmodSync(dir, 0o711);
  const userKeys = path.join(dir, 'user-keys');
  fs.mkdirSync(userKeys, { mode: 0o755 });
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  keygen(path.join(dir, 'host_ed25519'));
  keygen(path.join(dir, 'client_ed25519'));
  fs.copyFileSync(path.join(dir, 'client_ed25519.pub'), path.join(dir, 'authorized_keys'));
  const port = await freePort();
  const config = path.join(dir, 'sshd_config');
  fs.writeFileSync(config, [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${dir}/host_ed25519`,
    `PidFile ${dir}/sshd.pid`,
    `AuthorizedKeysFile ${dir}/authorized_keys ${userKeys}/%u`,
    ...(options.allowUsers ? [`AllowUsers ${options.allowUsers.join(' ')}`] : []),
    'UsePAM no',
    // The keys live in a temp dir under /tmp, which StrictModes would refuse.
    'StrictModes no',
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'Subsystem sftp internal-sftp',
    'LogLevel VERBOSE',
    '',
  ].join('\n'));
  let log = '';
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-20_000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Ready when it accepts TCP connections.
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (child.exitCode !== null || i > 100) {
      child.kill('SIGKILL');
      throw new Error(`sshd did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = child.pid!;
  return {
    port,
    dir,
    clientKey: path.join(dir, 'client_ed25519'),
    hostPublicKey: fs.readFileSync(path.join(dir, 'host_ed25519.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' '),
    pid,
    authorize(user, publicKeyLine) {
      if (!/^[a-z_][a-z0-9_-]*$/.test(user)) throw new Error(`not a user name: ${user}`);
      fs.writeFileSync(path.join(userKeys, user), `${publicKeyLine.trim()}\n`, { mode: 0o644 });
    },
    sessionPids: () => childrenOf(pid),
    log: () => log,
    async stop() {
      for (const p of childrenOf(pid)) {
        try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
      }
      if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
