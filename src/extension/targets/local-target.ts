/** The embedded dev environment: the agent as a child process on this Linux host. */
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { startLocalAgent, type AgentHandle } from '../../client/agent-process';
import type { AgentLogMessage } from '../../protocol/agent-rpc';
import type { Target } from './target';

export class NotRootError extends Error {}

export class LocalTarget implements Target {
  readonly kind = 'local' as const;
  readonly label = 'local';

  constructor(private readonly agentPath: string) {}

  async start(labName: string, log: (message: AgentLogMessage) => void): Promise<AgentHandle> {
    if (process.platform !== 'linux') {
      throw new Error('The local target needs a Linux host with eBPF; use an SSH, Lima or Docker target from this OS.');
    }
    if (process.getuid?.() !== 0) {
      throw new NotRootError(
        'Loading BPF programs and creating network namespaces needs root. Run VS Code (or `npm start`) as root on this host, ' +
          'or deploy to a dev VM target instead.',
      );
    }
    return startLocalAgent({ labName, agentPath: this.agentPath, log, bpfDir: workspaceBpfDir() });
  }
}

/** A workspace folder's own bpf/ (with the datapath's program), so a user editing it builds that; else the agent's shipped copy. */
export function workspaceBpfDir(): string | undefined {
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    if (folder.uri.scheme !== 'file') continue;
    const dir = path.join(folder.uri.fsPath, 'bpf');
    if (fs.existsSync(path.join(dir, 'bpf_lxc.c'))) return dir;
  }
  return undefined;
}
