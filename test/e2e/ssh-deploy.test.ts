/**
 * The SSH target from the UI, in a real VS Code: the workspace points
 * policyStudio.target at a real OpenSSH server this test starts on 127.0.0.1,
 * the user runs Deploy, trusts the unknown host key in the modal dialog, and
 * the agent is uploaded over SFTP, started over the SSH exec channel and
 * builds the lab (on this machine, which is the "VM"). Screenshots in
 * test-results/e2e/ssh-deploy/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openE2eSession } from '../harness/e2e-session';
import { labNamespaces } from '../harness/lab-cleanup';
import { startSshd } from '../transport/support/sshd';
import { agentPidsForLab, waitFor } from '../transport/support/remote-lab';

const LAB = `ssh${process.pid % 100_000}`;

test('deploy to an SSH target from the UI', { timeout: 600_000 }, async (t) => {
  const sshd = await startSshd();
  const knownHosts = path.join(sshd.dir, 'known_hosts');
  const remoteDir = path.join(sshd.dir, 'remote');
  const { wb, page } = await openE2eSession(t, {
    name: 'ssh-deploy', lab: LAB,
    settings: {
      'policyStudio.target': 'ssh',
      'policyStudio.ssh.host': '127.0.0.1',
      'policyStudio.ssh.port': sshd.port,
      'policyStudio.ssh.user': 'root',
      'policyStudio.ssh.identityFile': sshd.clientKey,
      'policyStudio.ssh.configFile': path.join(sshd.dir, 'no-ssh-config'),
      'policyStudio.ssh.knownHostsFile': knownHosts,
      'policyStudio.ssh.remoteDir': remoteDir,
    },
    // No SSH agent socket from the test's environment: the key file is the way in.
    serverEnv: { SSH_AUTH_SOCK: '' },
    beforeLabCleanup: () => {
      for (const pid of agentPidsForLab(LAB)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    },
    afterLabCleanup: () => sshd.stop(),
  });

  await wb.openFile('shop.policy');
  await wb.statusBarItem('policyStudio.status').filter({ hasText: /ssh 127\.0\.0\.1/ }).waitFor({ timeout: 60_000 });
  await wb.screenshot('ssh target in the status bar');

  await wb.runCommand('Policy Studio: Deploy');
  const trust = page.locator('.monaco-dialog-box').getByRole('button', { name: 'Trust and Connect' });
  await trust.waitFor({ timeout: 60_000 });
  await wb.screenshot('unknown host key dialog');
  await trust.click();
  await wb.statusBarItem('policyStudio.status').filter({ hasText: /deployed/i }).waitFor({ timeout: 240_000 });
  await wb.screenshot('deployed over ssh');

  assert.match(fs.readFileSync(knownHosts, 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sshd.port} ssh-ed25519 `));
  const uploaded = fs.readdirSync(remoteDir).filter((d) => d.startsWith('agent-'));
  assert.equal(uploaded.length, 1, 'one agent bundle uploaded');
  assert.ok(fs.existsSync(path.join(remoteDir, uploaded[0]!, 'bpf', 'bpf_lxc.c')));
  await waitFor('the lab built over ssh', () => labNamespaces(LAB).length > 0);
  assert.equal(agentPidsForLab(LAB).length, 1, 'one agent, started over the ssh exec channel');
});
