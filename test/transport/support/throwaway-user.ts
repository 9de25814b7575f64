/**
 * A throwaway local login user for the SSH target's non-root path: created
 * with a home and bash, a usable (non-"!") but unguessable password field so
 * sshd without PAM does not treat it as locked, optionally passwordless sudo
 * through its own /etc/sudoers.d file (checked by `visudo -cf` before it is
 * put in place). `remove()` takes away the sudoers file, the user's processes
 * and the user with its home, and is safe to call twice.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export interface ThrowawayUser {
  name: string;
  home: string;
  uid: number;
  sudoersFile: string;
  grantSudo(): void;
  revokeSudo(): void;
  remove(): void;
}

function pidsOfUid(uid: number): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const real = /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1];
      if (Number(real) === uid) pids.push(Number(entry));
    } catch { /* exited */ }
  }
  return pids;
}

export function createThrowawayUser(name: string): ThrowawayUser {
  if (!/^[a-z][a-z0-9]{1,30}$/.test(name)) throw new Error(`not a throwaway user name: ${name}`);
  // '*' cannot match any password, and unlike useradd's default '!' sshd (UsePAM no) lets a key log in.
  execFileSync('useradd', ['--create-home', '--shell', '/bin/bash', '--password', '*', name]);
  const home = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).split(':')[5]!;
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const sudoersFile = `/etc/sudoers.d/${name}`;
  let removed = false;
  return {
    name, home, uid, sudoersFile,
    grantSudo() {
      const staged = `/etc/sudoers.d/.${name}.new`;
      fs.writeFileSync(staged, `${name} ALL=(root) NOPASSWD: ALL\n`, { mode: 0o440 });
      try {
        execFileSync('visudo', ['-cf', staged], { stdio: 'pipe' });
        fs.renameSync(staged, sudoersFile);
      } finally {
        fs.rmSync(staged, { force: true });
      }
    },
    revokeSudo() {
      fs.rmSync(sudoersFile, { force: true });
    },
    remove() {
      fs.rmSync(sudoersFile, { force: true });
      if (removed) return;
      removed = true;
      // Its login sessions end with the test's sshd.stop(); whatever still runs as this user (only the test started it) is ended by PID.
      for (const pid of pidsOfUid(uid)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
      for (const f of [`/run/sudo/ts/${name}`, `/var/lib/sudo/lectured/${name}`]) fs.rmSync(f, { force: true });
      try { execFileSync('userdel', ['-r', name], { stdio: 'pipe' }); } catch (e) {
        if (execFileSync('getent', ['passwd'], { encoding: 'utf8' }).split('\n').some((l) => l.startsWith(`${name}:`))) throw e;
      }
    },
  };
}
