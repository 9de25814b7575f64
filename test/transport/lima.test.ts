/**
 * The Lima target's discovery and connection path: recorded `limactl list
 * --json` lines (test/data/lima) printed by a stand-in `limactl` on PATH (Lima
 * cannot be installed here), an ssh config in Lima's format pointing at a real
 * OpenSSH server started by this test, and the agent run through it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { collectAgentBundle } from '../../src/client/agent-bundle';
import { LimactlMissingError, limaSshHost, listLimaInstances, parseLimaList, startLimaInstance } from '../../src/client/lima/limactl';
import { startSshAgent, type SshAgentHandle } from '../../src/client/ssh/ssh-agent';
import { uniqueLab } from '../kernel/support/agent-under-test';
import { startSshd } from './support/sshd';
import { AGENT_JS, BPF_DIR, REPO_ROOT, agentPidsForLab, helloAndSubscribe } from './support/remote-lab';
import { removeLabLeftovers } from '../harness/lab-cleanup';

const DATA = path.join(REPO_ROOT, 'test/data/lima');

test('lima: parse the recorded limactl list --json lines', () => {
  const instances = parseLimaList(fs.readFileSync(path.join(DATA, 'limactl-list.jsonl'), 'utf8'));
  assert.deepEqual(instances.map((i) => [i.name, i.status, i.sshLocalPort]), [['default', 'Running', 60022], ['ebpf', 'Stopped', 0]]);
  assert.equal(instances[0]!.sshConfigFile, '/Users/dev/.lima/default/ssh.config');
  // Older limactl printed one JSON array: same result.
  assert.deepEqual(parseLimaList(JSON.stringify(instances)), instances);
});

test('lima: a missing limactl is reported as such', async () => {
  await assert.rejects(listLimaInstances('/nonexistent/limactl'), LimactlMissingError);
});

test('lima: discover through limactl, start a stopped instance, connect through its ssh config', async (t) => {
  const sshd = await startSshd();
  const lab = uniqueLab('tl');
  let handle: SshAgentHandle | undefined;
  let passed = false;
  t.after(async () => {
    // The server's side of a failure is in its log: print it.
    if (!passed) t.diagnostic(`sshd log:\n${sshd.log()}`);
    await handle?.dispose().catch(() => undefined);
    for (const pid of agentPidsForLab(lab)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    await removeLabLeftovers(lab);
    await sshd.stop();
  });

  // The instance dir Lima would have: its ssh.config, rewritten to the real sshd and key.
  const instanceDir = path.join(sshd.dir, 'lima', 'default');
  fs.mkdirSync(instanceDir, { recursive: true });
  const sshConfig = fs.readFileSync(path.join(DATA, 'ssh.config'), 'utf8')
    .replace('"/Users/dev/.lima/_config/user"', `"${sshd.clientKey}"`)
    .replace('/Users/dev/.lima/default/ssh.sock', path.join(instanceDir, 'ssh.sock'))
    .replace(/^ {2}User dev$/m, '  User root')
    .replace(/^ {2}Port 60022$/m, `  Port ${sshd.port}`);
  fs.writeFileSync(path.join(instanceDir, 'ssh.config'), sshConfig);
  const lines = fs.readFileSync(path.join(DATA, 'limactl-list.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  lines[0]!.dir = instanceDir;
  lines[0]!.sshConfigFile = path.join(instanceDir, 'ssh.config');
  lines[0]!.sshLocalPort = sshd.port;
  fs.writeFileSync(path.join(sshd.dir, 'list.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  // The stand-in limactl: prints the list, records other calls.
  const limactl = path.join(sshd.dir, 'bin', 'limactl');
  fs.mkdirSync(path.dirname(limactl));
  fs.writeFileSync(limactl, `#!/bin/sh\nif [ "$1 $2" = "list --json" ]; then cat '${sshd.dir}/list.jsonl'; else echo "$@" >> '${sshd.dir}/limactl-calls'; fi\n`, { mode: 0o755 });

  const instances = await listLimaInstances(limactl);
  assert.deepEqual(instances.map((i) => i.status), ['Running', 'Stopped']);
  assert.throws(() => limaSshHost(instances[1]!), /Stopped; start it first/);
  await startLimaInstance('ebpf', limactl);
  assert.equal(fs.readFileSync(path.join(sshd.dir, 'limactl-calls'), 'utf8'), 'start ebpf\n');
  await assert.rejects(startLimaInstance('x; rm -rf /', limactl), /not a Lima instance name/);

  const host = limaSshHost(instances[0]!);
  assert.deepEqual({ ...host, identityFiles: host.identityFiles }, {
    alias: 'lima-default', hostName: '127.0.0.1', port: sshd.port, user: 'root', identityFiles: [sshd.clientKey],
    userKnownHostsFiles: ['/dev/null'], strictHostKeyChecking: 'no',
  });
  handle = await startSshAgent({
    endpoint: { host: host.hostName, port: host.port, user: host.user!, identityFiles: host.identityFiles, knownHostsFiles: host.userKnownHostsFiles, strictHostKeyChecking: host.strictHostKeyChecking, agentSocket: '' },
    bundle: collectAgentBundle(AGENT_JS, BPF_DIR),
    remoteDir: path.join(sshd.dir, 'remote'),
    labName: lab,
  });
  const { hello } = await helloAndSubscribe(handle);
  assert.equal(hello.capabilities.root, true);
  assert.equal(hello.capabilities.bpffs, true);
  passed = true;
});
