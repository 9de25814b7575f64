/** The embedded dev environment: the agent as a child process on this Linux host. */
import { startLocalAgent, type AgentHandle } from '../../client/agent-process';
import type { AgentStartOptions, Target } from './target';

export class NotRootError extends Error {}

export class LocalTarget implements Target {
  readonly kind = 'local' as const;
  readonly label = 'local';

  constructor(private readonly agentPath: string) {}

  async start(labName: string, { datapathDir, agentLog }: AgentStartOptions): Promise<AgentHandle> {
    if (process.platform !== 'linux') {
      throw new Error('The local target needs a Linux host with eBPF; use an SSH, Lima or Docker target from this OS.');
    }
    if (process.getuid?.() !== 0) {
      throw new NotRootError(
        'Loading BPF programs and creating network namespaces needs root. Run VS Code (or `npm start`) as root on this host, ' +
          'or deploy to a dev VM target instead.',
      );
    }
    return startLocalAgent({ labName, agentPath: this.agentPath, log: agentLog, bpfDir: datapathDir });
  }
}
