/**
 * A Lima VM: found with `limactl list --json`, started on request when
 * stopped, then reached over SSH through the config Lima writes for it.
 */
import * as vscode from 'vscode';
import { LimactlMissingError, limaSshHost, listLimaInstances, startLimaInstance, type LimaInstance } from '../../client/lima/limactl';
import type { SshEndpoint } from '../../client/ssh/ssh-connection';
import { limaSettings } from './settings';
import { SshTarget } from './ssh-target';

async function pickInstance(): Promise<LimaInstance> {
  const s = limaSettings();
  let instances: LimaInstance[];
  try {
    instances = await listLimaInstances(s.limactlPath);
  } catch (e) {
    if (e instanceof LimactlMissingError) {
      const choice = await vscode.window.showErrorMessage(e.message, 'Use SSH Target', 'Use Docker Target');
      if (choice) {
        await vscode.workspace.getConfiguration('policyStudio').update('target', choice === 'Use SSH Target' ? 'ssh' : 'docker', vscode.ConfigurationTarget.Global);
      }
    }
    throw e;
  }
  if (!instances.length) throw new Error('Lima has no instances: create one (limactl start) or choose another target.');
  let instance = s.instance ? instances.find((i) => i.name === s.instance) : instances.length === 1 ? instances[0] : undefined;
  if (s.instance && !instance) throw new Error(`Lima has no instance named ${s.instance} (found: ${instances.map((i) => i.name).join(', ')}).`);
  if (!instance) {
    const picked = await vscode.window.showQuickPick(instances.map((i) => ({ label: i.name, description: i.status, detail: i.dir, instance: i })), {
      title: 'Policy Studio: Lima instance to deploy to',
    });
    if (!picked) throw new Error('No Lima instance chosen.');
    instance = picked.instance;
    await vscode.workspace.getConfiguration('policyStudio').update('lima.instance', instance.name, vscode.ConfigurationTarget.Workspace);
  }
  if (instance.status !== 'Running') {
    const start = `Start ${instance.name}`;
    const choice = await vscode.window.showWarningMessage(`Lima instance ${instance.name} is ${instance.status}.`, start);
    if (choice !== start) throw new Error(`Lima instance ${instance.name} is ${instance.status}.`);
    const name = instance.name;
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `limactl start ${name}` }, () => startLimaInstance(name, s.limactlPath));
    instance = (await listLimaInstances(s.limactlPath)).find((i) => i.name === name)!;
  }
  return instance;
}

async function limaEndpoint(): Promise<SshEndpoint> {
  const host = limaSshHost(await pickInstance());
  return {
    host: host.hostName, port: host.port, user: host.user ?? '', identityFiles: host.identityFiles,
    knownHostsFiles: host.userKnownHostsFiles, strictHostKeyChecking: host.strictHostKeyChecking === 'no' ? 'no' : 'ask',
  };
}

export class LimaTarget extends SshTarget {
  override readonly kind = 'lima' as const;

  constructor(extensionRoot: string, secrets: vscode.SecretStorage) {
    super(extensionRoot, secrets, limaEndpoint, () => limaSettings().remoteDir, `lima ${limaSettings().instance || '(pick)'}`);
  }
}
