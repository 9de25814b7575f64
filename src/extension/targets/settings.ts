/** The per-target settings (package.json `policyStudio.*`), read in one place. */
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import type { TargetKind } from './target';

export interface SshSettings { host: string; port: number; user: string; identityFile: string; configFile: string; knownHostsFile: string; remoteDir: string }
export interface LimaSettings { instance: string; limactlPath: string; remoteDir: string }
export interface DockerSettings { baseImage: string; containerName: string; networkMode: string }

function expandHome(p: string): string {
  return p === '~' ? os.homedir() : p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : p;
}

const cfg = () => vscode.workspace.getConfiguration('policyStudio');

export function targetKind(): TargetKind {
  const k = cfg().get<string>('target', 'local');
  return k === 'ssh' || k === 'lima' || k === 'docker' ? k : 'local';
}

export function sshSettings(): SshSettings {
  const c = cfg();
  return {
    host: c.get<string>('ssh.host', '').trim(),
    port: c.get<number>('ssh.port', 0),
    user: c.get<string>('ssh.user', '').trim(),
    identityFile: expandHome(c.get<string>('ssh.identityFile', '').trim()),
    configFile: expandHome(c.get<string>('ssh.configFile', '~/.ssh/config')),
    knownHostsFile: expandHome(c.get<string>('ssh.knownHostsFile', '').trim()),
    remoteDir: c.get<string>('ssh.remoteDir', '~/.cache/policy-studio'),
  };
}

export function limaSettings(): LimaSettings {
  const c = cfg();
  return { instance: c.get<string>('lima.instance', '').trim(), limactlPath: c.get<string>('lima.limactlPath', 'limactl'), remoteDir: c.get<string>('ssh.remoteDir', '~/.cache/policy-studio') };
}

export function dockerSettings(): DockerSettings {
  const c = cfg();
  return {
    baseImage: c.get<string>('docker.baseImage', 'debian:bookworm'),
    containerName: c.get<string>('docker.containerName', 'policy-studio-dev'),
    networkMode: c.get<string>('docker.networkMode', 'none'),
  };
}
