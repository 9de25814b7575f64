/**
 * The pure parts of the transports, without servers: shell quoting (the one
 * place a remote command line is built), ssh_config resolution, known_hosts
 * matching (plain, bracketed ports, hashed, revoked), missing-package mapping,
 * backoff.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { retryWithBackoff } from '../../src/client/backoff';
import { aptInstallCommands, packagesFor } from '../../src/client/missing-packages';
import { quoteShellArg, shellCommand } from '../../src/client/shell-quote';
import { resolveSshHost } from '../../src/client/ssh/ssh-config';
import { checkHostKey, keyTypeOf } from '../../src/client/ssh/known-hosts';

test('shell quoting: what sh receives is exactly the argv', () => {
  const nasty = ['plain', "it's", 'a b', '$(touch /tmp/pwned)', '`id`', '"q"', '\\', '', '*', ';rm -rf /', 'line\nbreak', "''"];
  const out = execFileSync('sh', ['-c', `${shellCommand(['printf', '%s\\0', ...nasty])}`]).toString();
  assert.deepEqual(out.split('\0').slice(0, -1), nasty);
  assert.equal(quoteShellArg('/opt/x-1.2/agent.js'), '/opt/x-1.2/agent.js');
  assert.throws(() => quoteShellArg('a\0b'));
});

test('ssh config: first value wins, patterns, negation, Lima quoting', () => {
  const text = [
    'Host dev !dev-old', '  HostName 10.0.0.5', '  Port 2222', '  IdentityFile ~/.ssh/dev_key',
    'Host dev*', '  User alice', '  Port 22', '  StrictHostKeyChecking yes',
    'Host *', '  User nobody', '  IdentityFile "~/.ssh/id_ed25519"', '  UserKnownHostsFile ~/.ssh/kh1 ~/.ssh/kh2',
  ].join('\n');
  const dev = resolveSshHost('dev', text, '/home/a');
  assert.deepEqual(dev, {
    alias: 'dev', hostName: '10.0.0.5', port: 2222, user: 'alice', identityFiles: ['/home/a/.ssh/dev_key', '/home/a/.ssh/id_ed25519'],
    userKnownHostsFiles: ['/home/a/.ssh/kh1', '/home/a/.ssh/kh2'], strictHostKeyChecking: 'yes',
  });
  const old = resolveSshHost('dev-old', text, '/home/a');
  assert.equal(old.hostName, 'dev-old');
  assert.equal(old.port, 22);
  assert.equal(resolveSshHost('other', '', '/h').userKnownHostsFiles[0], '/h/.ssh/known_hosts');
});

test('known_hosts: plain, [host]:port, hashed, changed, revoked', () => {
  const blob = (pub: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), pub]);
  const raw = (k: ReturnType<typeof generateKeyPairSync>['publicKey']) => k.export({ format: 'der', type: 'spki' }).subarray(-32);
  const a = blob(raw(generateKeyPairSync('ed25519').publicKey));
  const b = blob(raw(generateKeyPairSync('ed25519').publicKey));
  assert.equal(keyTypeOf(a), 'ssh-ed25519');
  const line = (names: string, key: Buffer) => `${names} ssh-ed25519 ${key.toString('base64')}`;
  assert.equal(checkHostKey([line('vm,10.0.0.5', a)], 'vm', 22, a), 'known');
  assert.equal(checkHostKey([line('vm', a)], 'vm', 2222, a), 'unknown', 'a port makes it another host');
  assert.equal(checkHostKey([line('[vm]:2222', a)], 'vm', 2222, a), 'known');
  assert.equal(checkHostKey([line('[vm]:2222', a)], 'vm', 2222, b), 'changed');
  const salt = randomBytes(20);
  const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[vm]:2222').digest('base64')}`;
  assert.equal(checkHostKey([line(hashed, a)], 'vm', 2222, a), 'known');
  assert.equal(checkHostKey([line(hashed, a)], 'vm', 2222, b), 'changed');
  assert.equal(checkHostKey([`@revoked ${line('*', a)}`, line('vm', a)], 'vm', 22, a), 'revoked');
  assert.equal(checkHostKey([line('*.lab,!bad.lab', a)], 'bad.lab', 22, a), 'unknown');
});

test('missing packages: hello entries to apt packages, the rest explained', () => {
  const s = packagesFor(['clang (apt-get install clang llvm)', 'bpftool (apt-get install bpftool)', 'kernel BTF (/sys/kernel/btf/vmlinux; needs CONFIG_DEBUG_INFO_BTF)']);
  assert.deepEqual(s.packages, ['clang', 'llvm', 'bpftool']);
  assert.equal(s.notPackages.length, 1);
  assert.deepEqual(aptInstallCommands(['clang'], false)[1], ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-q', '--no-install-recommends', 'clang']);
  assert.throws(() => aptInstallCommands(['x; reboot'], true));
});

test('backoff: retries until success, stops on fatal errors and when aborted', async () => {
  let n = 0;
  const delays: number[] = [];
  assert.equal(await retryWithBackoff(async () => { if (++n < 3) throw new Error('down'); return 'up'; }, { delaysMs: [1, 2], onRetry: (_a, _e, d) => delays.push(d) }), 'up');
  assert.deepEqual(delays, [1, 2]);
  await assert.rejects(retryWithBackoff(async () => { throw new TypeError('fatal'); }, { delaysMs: [1], isFatal: (e) => e instanceof TypeError }), TypeError);
  const ac = new AbortController();
  const p = retryWithBackoff(async () => { throw new Error('down'); }, { delaysMs: [60_000], signal: ac.signal });
  setTimeout(() => ac.abort(), 10);
  await assert.rejects(p, /cancelled/);
});
