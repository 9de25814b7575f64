/**
 * The target named by `policyStudio.target`, looked up at each start, so a
 * settings change applies to the next connection without a reload.
 */
import type * as vscode from 'vscode';
import type { AgentHandle } from '../../client/agent-process';
import { DockerTarget } from './docker-target';
import { LimaTarget } from './lima-target';
import { LocalTarget } from './local-target';
import { targetKind } from './settings';
import { SshTarget } from './ssh-target';
import type { AgentStartOptions, PackageInstallResult, Target, TargetKind } from './target';

export function createTarget(kind: TargetKind, extension: vscode.ExtensionContext): Target {
  const root = extension.extensionPath;
  switch (kind) {
    case 'ssh': return new SshTarget(root, extension.secrets);
    case 'lima': return new LimaTarget(root, extension.secrets);
    case 'docker': return new DockerTarget(root);
    default: return new LocalTarget(extension.asAbsolutePath('dist/agent.js'));
  }
}

export class ConfiguredTarget implements Target {
  constructor(private readonly extension: vscode.ExtensionContext) {}

  current(): Target {
    return createTarget(targetKind(), this.extension);
  }

  get kind(): TargetKind {
    return targetKind();
  }

  get label(): string {
    return this.current().label;
  }

  start(labName: string, options: AgentStartOptions): Promise<AgentHandle> {
    return this.current().start(labName, options);
  }

  async installPackages(packages: string[], log: (line: string) => void): Promise<PackageInstallResult> {
    const target = this.current();
    if (!target.installPackages) return { ok: false, output: `The ${target.kind} target does not install packages: install them yourself (${packages.join(' ')}).` };
    return target.installPackages(packages, log);
  }
}
