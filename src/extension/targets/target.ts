/**
 * A dev VM the agent runs on. Each kind (local, ssh, lima, docker) only knows
 * how to start the agent and hand back a JSON-RPC connection to it;
 * everything above speaks the agent protocol and does not care where it runs.
 */
import type { AgentHandle } from '../../client/agent-process';
import type { AgentLogMessage } from '../../protocol/agent-rpc';

export type TargetKind = 'local' | 'ssh' | 'lima' | 'docker';

export interface PackageInstallResult { ok: boolean; output: string }

/** What starting an agent needs besides the lab: the datapath sources and where each side's messages go. */
export interface AgentStartOptions {
  /** The bpf/ sources the agent builds (`policyStudio.datapathPath`, checked). */
  datapathDir: string;
  /** The agent's own log notifications and stderr. */
  agentLog: (message: AgentLogMessage) => void;
  /** The target's side of starting it: containers, images, uploads. */
  targetLog: (message: AgentLogMessage) => void;
}

export interface Target {
  readonly kind: TargetKind;
  /** Shown in the status bar and the log. */
  readonly label: string;
  start(labName: string, options: AgentStartOptions): Promise<AgentHandle>;
  /**
   * Installs Debian/Ubuntu packages on the target (apt-get, as root), after the
   * user agreed. Absent where the extension must not install anything (local).
   */
  installPackages?(packages: string[], log: (line: string) => void): Promise<PackageInstallResult>;
}
