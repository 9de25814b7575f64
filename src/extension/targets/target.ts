/**
 * A dev VM the agent runs on. Each kind (local, and later ssh, lima, docker)
 * only knows how to start the agent and hand back a JSON-RPC connection to it;
 * everything above speaks the agent protocol and does not care where it runs.
 */
import type { AgentHandle } from '../../client/agent-process';
import type { AgentLogMessage } from '../../protocol/agent-rpc';

export interface Target {
  readonly kind: 'local' | 'ssh' | 'lima' | 'docker';
  /** Shown in the status bar and the log. */
  readonly label: string;
  start(labName: string, log: (message: AgentLogMessage) => void): Promise<AgentHandle>;
}
