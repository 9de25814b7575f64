/**
 * One authenticated SSH connection (npm ssh2) with OpenSSH's host key rules:
 * a recorded key must match; a changed key is refused with a message that
 * says so and where the old key is; an unknown key is recorded only when the
 * caller's `trustUnknownHost` says yes (the extension asks the user).
 */
import fs from 'node:fs';
import { Client, utils, type ConnectConfig } from 'ssh2';
import { addKnownHost, checkHostKey, fingerprintOf, keyTypeOf, knownHostName, readKnownHosts } from './known-hosts';

export interface SshEndpoint {
  host: string;
  port: number;
  user: string;
  /** Private key files to try (the first that parses is used); empty: ssh-agent only. */
  identityFiles: string[];
  /** known_hosts files to check; an accepted new key is appended to the first. */
  knownHostsFiles: string[];
  strictHostKeyChecking: 'yes' | 'no' | 'ask' | 'accept-new';
  /** ssh-agent socket; defaults to SSH_AUTH_SOCK. */
  agentSocket?: string;
  readyTimeoutMs?: number;
}

export interface UnknownHostKey { host: string; port: number; keyType: string; fingerprint: string }

export interface SshConnectHooks {
  /** Asked for a host key known_hosts does not have; true records and trusts it. */
  trustUnknownHost?(key: UnknownHostKey): Promise<boolean>;
  /** Asked when a key file is encrypted; undefined aborts. */
  passphrase?(keyFile: string, retry: boolean): Promise<string | undefined>;
}

export class HostKeyChangedError extends Error {
  constructor(readonly host: string, readonly port: number, readonly fingerprint: string, readonly knownHostsFiles: string[]) {
    super(
      `The host key of ${knownHostName(host, port)} has CHANGED (now ${fingerprint}) and differs from the one recorded in ` +
        `${knownHostsFiles.join(', ')}. This can mean someone is intercepting the connection, or the VM was rebuilt. ` +
        `Refusing to connect. If the change is expected, remove the old entry (ssh-keygen -R '${knownHostName(host, port)}') and connect again.`,
    );
  }
}

export class HostKeyRejectedError extends Error {}

interface KeyChoice { file: string; key: Buffer; passphrase?: string }

/** Reads the first usable identity, asking for a passphrase when a key is encrypted. */
async function chooseIdentity(files: string[], hooks: SshConnectHooks): Promise<KeyChoice | undefined> {
  for (const file of files) {
    let key: Buffer;
    try {
      key = fs.readFileSync(file);
    } catch {
      continue;
    }
    let parsed = utils.parseKey(key);
    if (!(parsed instanceof Error)) return { file, key };
    if (!/passphrase/i.test(parsed.message)) throw new Error(`${file}: ${parsed.message}`);
    for (let attempt = 0; attempt < 3; attempt++) {
      const passphrase = await hooks.passphrase?.(file, attempt > 0);
      if (passphrase === undefined) throw new Error(`${file} is encrypted and no passphrase was given`);
      parsed = utils.parseKey(key, passphrase);
      if (!(parsed instanceof Error)) return { file, key, passphrase };
    }
    throw new Error(`${file}: wrong passphrase`);
  }
  return undefined;
}

export async function connectSsh(endpoint: SshEndpoint, hooks: SshConnectHooks = {}): Promise<Client> {
  const identity = await chooseIdentity(endpoint.identityFiles, hooks);
  const agent = endpoint.agentSocket ?? process.env.SSH_AUTH_SOCK;
  if (!identity && !agent) {
    throw new Error(`No way to authenticate to ${endpoint.host}: no readable key file (${endpoint.identityFiles.join(', ') || 'none configured'}) and no ssh-agent (SSH_AUTH_SOCK).`);
  }
  let hostKeyError: Error | undefined;
  const hostVerifier = (blob: Buffer, verify: (ok: boolean) => void): void => {
    const decide = async (): Promise<boolean> => {
      if (endpoint.strictHostKeyChecking === 'no') return true;
      const status = checkHostKey(readKnownHosts(endpoint.knownHostsFiles), endpoint.host, endpoint.port, blob);
      const fingerprint = fingerprintOf(blob);
      if (status === 'known') return true;
      if (status === 'changed') throw new HostKeyChangedError(endpoint.host, endpoint.port, fingerprint, endpoint.knownHostsFiles);
      if (status === 'revoked') throw new HostKeyRejectedError(`The host key of ${endpoint.host} (${fingerprint}) is marked @revoked in known_hosts.`);
      const trusted = endpoint.strictHostKeyChecking === 'accept-new' ||
        (endpoint.strictHostKeyChecking === 'ask' && (await hooks.trustUnknownHost?.({ host: endpoint.host, port: endpoint.port, keyType: keyTypeOf(blob), fingerprint })) === true);
      if (!trusted) throw new HostKeyRejectedError(`The host key of ${knownHostName(endpoint.host, endpoint.port)} (${fingerprint}) is not in ${endpoint.knownHostsFiles[0]} and was not trusted.`);
      addKnownHost(endpoint.knownHostsFiles[0]!, endpoint.host, endpoint.port, blob);
      return true;
    };
    decide().then(verify, (e: Error) => {
      hostKeyError = e;
      verify(false);
    });
  };
  const config: ConnectConfig = {
    host: endpoint.host,
    port: endpoint.port,
    username: endpoint.user,
    readyTimeout: endpoint.readyTimeoutMs ?? 20_000,
    keepaliveInterval: 15_000,
    keepaliveCountMax: 3,
    hostVerifier,
  };
  if (identity) {
    config.privateKey = identity.key;
    if (identity.passphrase !== undefined) config.passphrase = identity.passphrase;
  }
  if (agent) config.agent = agent;
  const client = new Client();
  return new Promise<Client>((resolve, reject) => {
    const onError = (e: Error) => {
      client.end();
      reject(hostKeyError ?? new Error(`SSH to ${endpoint.user}@${knownHostName(endpoint.host, endpoint.port)}: ${e.message}`));
    };
    client.once('ready', () => {
      client.off('error', onError);
      // A connection that breaks later (the VM rebooted, sshd was killed) must not
      // become an uncaught exception in the extension host: users of the client
      // see it as 'close' (the agent's `exited`, the reconnect logic).
      client.on('error', () => undefined);
      resolve(client);
    });
    client.once('error', onError);
    client.connect(config);
  });
}
