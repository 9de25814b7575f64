/**
 * First contact with a target: report what hello found (kernel, BTF, bpffs,
 * tools) and, when something is missing, offer to install the Debian/Ubuntu
 * packages that fix it, only with the user's consent. Asked once per target.
 */
import * as vscode from 'vscode';
import { packagesFor } from '../../client/missing-packages';
import type { HelloResult } from '../../protocol/agent-rpc';
import type { Target } from './target';

const offered = new Set<string>();

export function describeTarget(hello: HelloResult): string {
  const c = hello.capabilities;
  const tools = Object.entries(c.tools).map(([k, v]) => `${k} ${v ?? 'missing'}`).join(', ');
  return `agent ${hello.agentVersion} on ${hello.hostname}: kernel ${hello.kernel}, BTF ${c.btf ? 'yes' : 'no'}, bpffs ${c.bpffs ? 'yes' : 'no'}, tcx ${c.tcx ? 'yes' : 'no'}, root ${c.root ? 'yes' : 'no'}; ${tools}`;
}

export async function offerBootstrap(target: Target, hello: HelloResult, log: vscode.LogOutputChannel, extensionVersion: string): Promise<void> {
  log.info(`[target ${target.label}] ${describeTarget(hello)}`);
  if (hello.agentVersion !== extensionVersion) log.warn(`[target ${target.label}] agent ${hello.agentVersion} differs from the extension ${extensionVersion}; the next connection uploads the current bundle`);
  const key = `${target.kind}:${target.label}`;
  if (!hello.capabilities.missing.length || offered.has(key)) return;
  offered.add(key);
  const { packages, notPackages } = packagesFor(hello.capabilities.missing);
  if (notPackages.length) {
    void vscode.window.showWarningMessage(`Policy Studio: ${target.label} lacks what no package fixes: ${notPackages.join('; ')}.`);
  }
  if (!packages.length) return;
  if (!target.installPackages) {
    void vscode.window.showWarningMessage(`Policy Studio: missing on ${target.label}: ${hello.capabilities.missing.join('; ')}. Install: apt-get install ${packages.join(' ')}`);
    return;
  }
  const install = 'Install with apt-get';
  const choice = await vscode.window.showWarningMessage(
    `Policy Studio: ${target.label} is missing ${packages.join(', ')}. Install them (apt-get, as root)?`,
    { detail: `Missing: ${hello.capabilities.missing.join('; ')}.\nOn distributions without apt-get, install the equivalents with their package manager.` },
    install,
  );
  if (choice !== install) return;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Installing ${packages.join(' ')} on ${target.label}` },
    () => target.installPackages!(packages, (line) => log.info(`[bootstrap] ${line}`)),
  );
  log.info(`[bootstrap] ${result.output}`);
  if (result.ok) void vscode.window.showInformationMessage(`Policy Studio: installed ${packages.join(', ')} on ${target.label}. Deploy again to use them.`);
  else void vscode.window.showErrorMessage(`Policy Studio: installing on ${target.label} failed. ${result.output.trim().split('\n').slice(-3).join(' ')}`, 'Show Log').then((c) => c && log.show());
}
