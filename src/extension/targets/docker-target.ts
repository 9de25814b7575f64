/**
 * A dev container on the local Docker engine (DOCKER_HOST or the default
 * socket): the dev image is built from the Dockerfile the extension ships,
 * the labelled container is reused across restarts, the agent runs via exec.
 */
import path from 'node:path';
import Docker from 'dockerode';
import * as vscode from 'vscode';
import type { AgentHandle } from '../../client/agent-process';
import { collectAgentBundle } from '../../client/agent-bundle';
import { ensureDevImage } from '../../client/docker/dev-image';
import { ensureDevContainer, removeDevContainer } from '../../client/docker/dev-container';
import { runInContainer, startDockerAgent } from '../../client/docker/docker-agent';
import { aptInstallCommands } from '../../client/missing-packages';
import type { AgentLogMessage } from '../../protocol/agent-rpc';
import { dockerSettings } from './settings';
import type { AgentStartOptions, PackageInstallResult, Target } from './target';

export class DockerTarget implements Target {
  readonly kind = 'docker' as const;
  readonly label = `docker ${dockerSettings().containerName}`;
  private readonly docker = new Docker();

  constructor(private readonly extensionRoot: string) {}

  private async container(log: (m: AgentLogMessage) => void): Promise<Docker.Container> {
    const s = dockerSettings();
    try {
      await this.docker.ping();
    } catch (e) {
      throw new Error(`No Docker engine answers at ${process.env.DOCKER_HOST || 'the default socket'}: ${(e as Error).message}. Start Docker, or choose another target.`);
    }
    const image = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Policy Studio: preparing the dev image' },
      (progress) => ensureDevImage(this.docker, {
        dockerfile: path.join(this.extensionRoot, 'docker', 'Dockerfile'), baseImage: s.baseImage,
        onProgress: (line) => { progress.report({ message: line.slice(0, 80) }); log({ level: 'debug', message: `[docker build] ${line}` }); },
      }),
    );
    const { container, created, privileges } = await ensureDevContainer(this.docker, {
      image: image.tag, name: s.containerName, networkMode: s.networkMode, log: (m) => log({ level: 'info', message: m }),
    });
    log({ level: 'info', message: `${created ? 'created' : 'reusing'} dev container ${s.containerName} (${privileges})` });
    return container;
  }

  async start(labName: string, { datapathDir, agentLog, targetLog }: AgentStartOptions): Promise<AgentHandle> {
    const container = await this.container(targetLog);
    const bundle = collectAgentBundle(path.join(this.extensionRoot, 'dist', 'agent.js'), datapathDir);
    return startDockerAgent({ container, bundle, labName, log: agentLog });
  }

  async installPackages(packages: string[], log: (line: string) => void): Promise<PackageInstallResult> {
    const container = await this.container(() => undefined);
    let output = '';
    for (const argv of aptInstallCommands(packages, true)) {
      log(`$ ${argv.join(' ')}`);
      const res = await runInContainer(container, argv);
      output += res.stdout + res.stderr;
      if (res.code !== 0) return { ok: false, output };
    }
    return { ok: true, output };
  }

  /** The "remove dev container" command. */
  removeContainer(): Promise<boolean> {
    return removeDevContainer(this.docker, dockerSettings().containerName);
  }
}
