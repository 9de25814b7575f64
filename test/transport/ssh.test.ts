/**
 * The SSH target against a real OpenSSH server on 127.0.0.1 (started here,
 * stopped after): host keys checked against a known_hosts file, the agent
 * bundle uploaded with SFTP (and not again when unchanged), the agent run over
 * one exec channel, a real lab deployed and probed through it, flows streamed
 * back, a dropped connection reconnected while the pinned datapath kept
 * enforcing. The "VM" is this machine, so the lab is a real one here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { collectAgentBundle } from '../../src/client/agent-bundle';
import { retryWithBackoff } from '../../src/client/backoff';
import { HostKeyChangedError, HostKeyRejectedError, connectSsh, type SshEndpoint, type UnknownHostKey } from '../../src/client/ssh/ssh-connection';
import { startSshAgent, type SshAgentHandle } from '../../src/client/ssh/ssh-agent';
import { Probe } from '../../src/protocol/agent-rpc';
import { removeLabLeftovers } from '../harness/lab-cleanup';
import { uniqueLab } from '../kernel/support/agent-under-test';
import { startSshd } from './support/sshd';
import { AGENT_JS, BPF_DIR, agentPidsForLab, deploy, directConnect, helloAndSubscribe, waitFor } from './support/remote-lab';

test('ssh target: host keys, upload once, deploy, probe, flows, reconnect while enforcing, upgrade', async (t) => {
  assert.ok(fs.existsSync(AGENT_JS), 'dist/agent.js exists (npm run build)');
  const sshd = await startSshd();
  const lab = uniqueLab('ts');
  const handles: SshAgentHandle[] = [];
  t.after(async () => {
    for (const h of handles) await h.dispose().catch(() => undefined);
    for (const pid of agentPidsForLab(lab)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    await removeLabLeftovers(lab);
    await sshd.stop();
  });

  const knownHosts = path.join(sshd.dir, 'known_hosts');
  const endpoint: SshEndpoint = {
    host: '127.0.0.1', port: sshd.port, user: 'root', identityFiles: [sshd.clientKey],
    knownHostsFiles: [knownHosts], strictHostKeyChecking: 'ask', agentSocket: '',
  };
  const remoteDir = path.join(sshd.dir, 'remote');
  const bundle = collectAgentBundle(AGENT_JS, BPF_DIR);

  await t.test('an unknown host key is refused unless trusted, then recorded', async () => {
    await assert.rejects(connectSsh(endpoint, { trustUnknownHost: async () => false }), HostKeyRejectedError);
    assert.equal(fs.existsSync(knownHosts), false);
    const asked: UnknownHostKey[] = [];
    const client = await connectSsh(endpoint, { trustUnknownHost: async (k) => { asked.push(k); return true; } });
    client.end();
    assert.equal(asked.length, 1);
    assert.match(asked[0]!.fingerprint, /^SHA256:/);
    assert.equal(fs.readFileSync(knownHosts, 'utf8').trim(), `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}`);
    // Now known: no question asked.
    (await connectSsh(endpoint, { trustUnknownHost: async () => assert.fail('asked again for a known key') })).end();
  });

  await t.test('a changed host key is refused with a clear message', async () => {
    const other = path.join(sshd.dir, 'other_host_key');
    const { execFileSync } = await import('node:child_process');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const spoofed = path.join(sshd.dir, 'known_hosts_changed');
    fs.writeFileSync(spoofed, `[127.0.0.1]:${sshd.port} ${fs.readFileSync(`${other}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
    const err = await connectSsh({ ...endpoint, knownHostsFiles: [spoofed] }, { trustUnknownHost: async () => true }).then(
      () => assert.fail('connected despite a changed host key'), (e: Error) => e);
    assert.ok(err instanceof HostKeyChangedError, String(err));
    assert.match(err.message, /CHANGED/);
    assert.match(err.message, /ssh-keygen -R/);
    assert.equal(fs.readFileSync(spoofed, 'utf8').split('\n').filter(Boolean).length, 1, 'the known_hosts file is left as it was');
  });

  await t.test('an encrypted key: the passphrase is asked for, again when wrong', async () => {
    const { execFileSync } = await import('node:child_process');
    const key = path.join(sshd.dir, 'encrypted_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'open sesame', '-f', key]);
    fs.appendFileSync(path.join(sshd.dir, 'authorized_keys'), fs.readFileSync(`${key}.pub`));
    const asked: boolean[] = [];
    const client = await connectSsh({ ...endpoint, identityFiles: [key] }, {
      passphrase: async (file, retry) => { assert.equal(file, key); asked.push(retry); return retry ? 'open sesame' : 'wrong'; },
    });
    client.end();
    assert.deepEqual(asked, [false, true]);
    await assert.rejects(connectSsh({ ...endpoint, identityFiles: [key] }, { passphrase: async () => undefined }), /encrypted and no passphrase/);
  });

  let labState: Awaited<ReturnType<typeof deploy>>;
  await t.test('deploy over ssh: upload, probe allowed and denied, flows streamed', async () => {
    const h = await startSshAgent({ endpoint, bundle, remoteDir, labName: lab });
    handles.push(h);
    assert.equal(h.upload.uploaded, true);
    assert.equal(h.upload.dir, `${remoteDir}/agent-${bundle.version}`);
    assert.equal(fs.readFileSync(`${h.upload.dir}/agent.js`, 'utf8'), fs.readFileSync(AGENT_JS, 'utf8'));
    const { hello, batches } = await helloAndSubscribe(h);
    assert.equal(hello.capabilities.root, true);
    assert.ok(hello.kernel.length > 0);
    labState = await deploy(h);
    const allowed = await h.connection.sendRequest(Probe, { from: 'frontend', to: 'db', protocol: 'tcp', port: 5432, timeoutMs: 1000 });
    assert.equal(allowed.verdict, 'allowed', JSON.stringify(allowed));
    const denied = await h.connection.sendRequest(Probe, { from: 'frontend', to: 'db', protocol: 'tcp', port: 80, timeoutMs: 1000 });
    assert.equal(denied.verdict, 'denied', JSON.stringify(denied));
    assert.equal(denied.flow?.verdict, 'dropped');
    const drop = await waitFor('a dropped flow streamed over ssh', () => batches.flatMap((b) => b.flows).find((f) => f.verdict === 'dropped' && f.dst.port === 80));
    assert.equal(drop.policyId, 'default/db-ingress');
  });

  await t.test('an unchanged agent is not uploaded twice', async () => {
    const first = handles.pop()!;
    const before = fs.statSync(`${first.upload.dir}/agent.js`).mtimeMs;
    await first.dispose();
    const h = await startSshAgent({ endpoint, bundle, remoteDir, labName: lab });
    handles.push(h);
    assert.equal(h.upload.uploaded, false);
    assert.equal(fs.statSync(`${h.upload.dir}/agent.js`).mtimeMs, before);
    const { hello } = await helloAndSubscribe(h);
    assert.equal(hello.datapath?.loaded, true, 'the restarted agent re-adopted the pinned datapath');
  });

  await t.test('a dropped connection: the datapath keeps enforcing, the client reconnects and flows resume', async () => {
    const h = handles[handles.length - 1]!;
    // Drop it from the server side, as a VM suspend or network loss would.
    for (const pid of sshd.sessionPids()) process.kill(pid, 'SIGKILL');
    await h.exited;
    await waitFor('the remote agent to exit', () => agentPidsForLab(lab).length === 0);

    const fe = labState.endpoints.find((e) => e.workload === 'frontend')!;
    const db = labState.endpoints.find((e) => e.workload === 'db')!;
    assert.equal(await directConnect(fe.netns, db.ip, 80), 'timeout', 'still default-denied with no agent connected');
    assert.equal(await directConnect(fe.netns, db.ip, 5432), 'refused', 'the allowed port still passes (nothing listens: RST)');

    const retries: number[] = [];
    const again = await retryWithBackoff(() => startSshAgent({ endpoint, bundle, remoteDir, labName: lab }), {
      delaysMs: [100, 200], maxAttempts: 5, onRetry: (n) => retries.push(n), isFatal: (e) => e instanceof HostKeyChangedError,
    });
    handles.push(again);
    const { hello, batches } = await helloAndSubscribe(again);
    assert.equal(hello.datapath?.loaded, true);
    const denied = await again.connection.sendRequest(Probe, { from: 'frontend', to: 'db', protocol: 'tcp', port: 80, timeoutMs: 1000 });
    assert.equal(denied.verdict, 'denied');
    await waitFor('flows after reconnecting', () => batches.flatMap((b) => b.flows).find((f) => f.verdict === 'dropped' && f.dst.port === 80));
  });

  await t.test('a newer bundle replaces the older one on the VM', async () => {
    await handles.pop()!.dispose();
    const newer = path.join(sshd.dir, 'newer');
    fs.mkdirSync(path.join(newer, 'dist'), { recursive: true });
    fs.writeFileSync(path.join(newer, 'dist/agent.js'), `${fs.readFileSync(AGENT_JS, 'utf8')}\n// a newer build\n`);
    fs.cpSync(BPF_DIR, path.join(newer, 'bpf'), { recursive: true });
    const upgraded = collectAgentBundle(path.join(newer, 'dist/agent.js'), path.join(newer, 'bpf'));
    assert.notEqual(upgraded.version, bundle.version);
    const h = await startSshAgent({ endpoint, bundle: upgraded, remoteDir, labName: lab });
    handles.push(h);
    assert.equal(h.upload.uploaded, true);
    assert.deepEqual(h.upload.removedOlder, [`agent-${bundle.version}`]);
    assert.deepEqual(fs.readdirSync(remoteDir), [`agent-${upgraded.version}`]);
    const { hello } = await helloAndSubscribe(h);
    assert.equal(hello.datapath?.loaded, true);
  });
});
