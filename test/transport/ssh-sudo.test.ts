/**
 * The SSH target as a non-root user: the agent runs under `sudo -n` (root,
 * found by the node path the user's own shell sees, not sudo's secure_path),
 * the bundle goes under the user's home, a lab is deployed and probed; without
 * a sudoers entry the user gets SudoRequiredError, and package installs are
 * refused with a clear message. The consented package install runs apt-get
 * under sudo for a package already installed (no network, nothing changes).
 * A throwaway user, its sudoers file, the lab and the sshd are removed after.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { collectAgentBundle } from '../../src/client/agent-bundle';
import { connectSsh, type SshEndpoint } from '../../src/client/ssh/ssh-connection';
import { SudoRequiredError, startSshAgent, type SshAgentHandle } from '../../src/client/ssh/ssh-agent';
import { installPackagesOverSsh } from '../../src/client/ssh/ssh-install';
import { Probe } from '../../src/protocol/agent-rpc';
import { removeLabLeftovers } from '../harness/lab-cleanup';
import { uniqueLab } from '../kernel/support/agent-under-test';
import { startSshd, type TestSshd } from './support/sshd';
import { createThrowawayUser, type ThrowawayUser } from './support/throwaway-user';
import { AGENT_JS, BPF_DIR, agentPidsForLab, deploy, helloAndSubscribe } from './support/remote-lab';

const REMOTE_DIR = '~/.cache/policy-studio';

function statusField(pid: number, field: string): string {
  return new RegExp(`^${field}:\\s+(\\S+)`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '';
}

test('ssh target as a non-root user: agent under sudo -n, or a clear refusal', async (t) => {
  assert.ok(fs.existsSync(AGENT_JS), 'dist/agent.js exists (npm run build)');
  const lab = uniqueLab('su');
  const handles: SshAgentHandle[] = [];
  let user: ThrowawayUser | undefined;
  let sshd: TestSshd | undefined;
  t.after(async () => {
    for (const h of handles) await h.dispose().catch(() => undefined);
    for (const pid of agentPidsForLab(lab)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    await removeLabLeftovers(lab);
    await sshd?.stop();
    user?.remove();
  });

  user = createThrowawayUser(`ps${process.pid}`);
  sshd = await startSshd({ allowUsers: [user.name] });
  const key = path.join(sshd.dir, 'user_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  sshd.authorize(user.name, fs.readFileSync(`${key}.pub`, 'utf8'));
  // Node where only the user's shell finds it (as with nvm or ~/.local/bin): sudo's secure_path does not have it.
  const userBin = path.join(user.home, '.local/bin');
  fs.mkdirSync(userBin, { recursive: true });
  fs.symlinkSync(process.execPath, path.join(userBin, 'node'));
  fs.writeFileSync(path.join(user.home, '.bashrc'), `export PATH="${userBin}:$PATH"\n`);
  execFileSync('chown', ['-R', `${user.name}:`, path.join(user.home, '.local'), path.join(user.home, '.bashrc')]);

  const endpoint: SshEndpoint = {
    host: '127.0.0.1', port: sshd.port, user: user.name, identityFiles: [key],
    knownHostsFiles: [path.join(sshd.dir, 'known_hosts')], strictHostKeyChecking: 'no', agentSocket: '',
  };
  const bundle = collectAgentBundle(AGENT_JS, BPF_DIR);

  await t.test('with passwordless sudo: uploaded under the home, the agent runs as root, the lab enforces', async () => {
    user!.grantSudo();
    const h = await startSshAgent({ endpoint, bundle, remoteDir: REMOTE_DIR, labName: lab });
    handles.push(h);
    assert.equal(h.preflight.uid, user!.uid);
    assert.equal(h.preflight.sudo, true);
    assert.equal(h.preflight.nodePath, path.join(userBin, 'node'));
    assert.equal(h.upload.dir, `${user!.home}/.cache/policy-studio/agent-${bundle.version}`);
    assert.equal(fs.statSync(`${h.upload.dir}/agent.js`).uid, user!.uid, 'the bundle is the user\'s, uploaded with its rights');
    const { hello } = await helloAndSubscribe(h);
    assert.equal(hello.capabilities.root, true);
    // The lab's processes: sudo (real uid: the user) and the node it started.
    const argv0 = (pid: number) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
    const agentPid = agentPidsForLab(lab).find((pid) => argv0(pid) !== 'sudo');
    assert.ok(agentPid, 'the agent process is running');
    assert.equal(argv0(agentPid), path.join(userBin, 'node'), 'sudo started the node the user\'s shell found');
    assert.equal(statusField(agentPid, 'Uid').concat(' ', statusField(agentPid, 'Gid')), '0 0', 'the agent runs as root');
    await deploy(h);
    const allowed = await h.connection.sendRequest(Probe, { from: 'frontend', to: 'db', protocol: 'tcp', port: 5432, timeoutMs: 1000 });
    assert.equal(allowed.verdict, 'allowed', JSON.stringify(allowed));
    const denied = await h.connection.sendRequest(Probe, { from: 'frontend', to: 'db', protocol: 'tcp', port: 80, timeoutMs: 1000 });
    assert.equal(denied.verdict, 'denied', JSON.stringify(denied));
  });

  await t.test('package install with consent: apt-get under sudo -n for an installed package changes nothing', async () => {
    const client = await connectSsh(endpoint);
    try {
      const lines: string[] = [];
      const res = await installPackagesOverSsh(client, ['iproute2'], (l) => lines.push(l));
      assert.equal(res.ok, true, res.output);
      // Already installed: the install alone succeeds, so the package lists are not refreshed (no network).
      assert.deepEqual(res.commands, [['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-q', '--no-install-recommends', 'iproute2']]);
      assert.match(res.output, /iproute2 is already the newest version/);
      assert.deepEqual(lines, [`$ ${res.commands[0]!.join(' ')}`]);
    } finally {
      client.end();
    }
  });

  await t.test('without a sudoers entry: SudoRequiredError says what to do, installs are refused', async () => {
    await handles.pop()?.dispose();
    user!.revokeSudo();
    const err = await startSshAgent({ endpoint, bundle, remoteDir: REMOTE_DIR, labName: lab }).then(
      (h) => { handles.push(h); return assert.fail('the agent started without root'); }, (e: Error) => e);
    assert.ok(err instanceof SudoRequiredError, String(err));
    assert.match(err.message, new RegExp(`you are uid ${user!.uid} and sudo asks for a password`));
    assert.match(err.message, /NOPASSWD/);
    assert.equal(agentPidsForLab(lab).length, 0);
    const client = await connectSsh(endpoint);
    try {
      const res = await installPackagesOverSsh(client, ['iproute2'], () => undefined);
      assert.equal(res.ok, false);
      assert.deepEqual(res.commands, []);
      assert.match(res.output, /needs root: you are uid \d+ on this VM and sudo asks for a password/);
    } finally {
      client.end();
    }
  });
});
