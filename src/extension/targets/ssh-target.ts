/**
 * A dev VM over SSH: host, port, user and key from settings or ~/.ssh/config,
 * host keys from known_hosts (unknown: the user is asked; changed: refused),
 * the agent uploaded when its content changed and run over one exec channel.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as vscode from 'vscode';
import type { AgentHandle } from '../../client/agent-process';
import { collectAgentBundle } from '../../client/agent-bundle';
import { connectSsh, type SshConnectHooks, type SshEndpoint } from '../../client/ssh/ssh-connection';
import { installPackagesOverSsh } from '../../client/ssh/ssh-install';
import { resolveSshHost } from '../../client/ssh/ssh-config';
import { startSshAgent } from '../../client/ssh/ssh-agent';
import { sshSettings } from './settings';
import { sshPrompts } from './ssh-prompts';
import type { AgentStartOptions, PackageInstallResult, Target } from './target';

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((k) => path.join(os.homedir(), '.ssh', k));

/** The endpoint `ssh <host>` would reach, with the extension's settings taking precedence. */
export function sshEndpointFromSettings(): SshEndpoint {
  const s = sshSettings();
  if (!s.host) throw new Error('Set policyStudio.ssh.host to the dev VM (a host name, or a Host from your ~/.ssh/config).');
  const configText = fs.existsSync(s.configFile) ? fs.readFileSync(s.configFile, 'utf8') : '';
  const c = resolveSshHost(s.host, configText);
  const identityFiles = s.identityFile ? [s.identityFile] : c.identityFiles.length ? c.identityFiles : DEFAULT_KEYS.filter((k) => fs.existsSync(k));
  return {
    host: c.hostName,
    port: s.port || c.port,
    user: s.user || c.user || os.userInfo().username,
    identityFiles,
    knownHostsFiles: s.knownHostsFile ? [s.knownHostsFile] : c.userKnownHostsFiles,
    strictHostKeyChecking: c.strictHostKeyChecking === 'no' ? 'no' : c.strictHostKeyChecking === 'yes' ? 'yes' : 'ask',
  };
}

/** An SSH-reached VM; Lima reuses it with the endpoint from the instance's ssh config. */
export class SshTarget implements Target {
  readonly kind: 'ssh' | 'lima' = 'ssh';

  constructor(
    private readonly extensionRoot: string,
    private readonly secrets: vscode.SecretStorage,
    private readonly endpoint: () => Promise<SshEndpoint> | SshEndpoint = sshEndpointFromSettings,
    private readonly remoteDir: () => string = () => sshSettings().remoteDir,
    readonly label = `ssh ${sshSettings().host || '(not set)'}`,
  ) {}

  protected hooks(): SshConnectHooks {
    return sshPrompts(this.secrets);
  }

  async start(labName: string, { datapathDir, agentLog, targetLog }: AgentStartOptions): Promise<AgentHandle> {
    // The bundle's name is a hash of its content: an edited datapath is uploaded into a new directory.
    return startSshAgent({
      endpoint: await this.endpoint(),
      hooks: this.hooks(),
      bundle: collectAgentBundle(path.join(this.extensionRoot, 'dist', 'agent.js'), datapathDir),
      remoteDir: this.remoteDir(),
      labName,
      log: agentLog,
      targetLog,
    });
  }

  async installPackages(packages: string[], log: (line: string) => void): Promise<PackageInstallResult> {
    const client = await connectSsh(await this.endpoint(), this.hooks());
    try {
      const { ok, output } = await installPackagesOverSsh(client, packages, log);
      return { ok, output };
    } finally {
      client.end();
    }
  }
}
