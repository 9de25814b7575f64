/**
 * The agent's log: stderr always (stdout carries only JSON-RPC), and the
 * client as `agent/log` notifications once a connection exists.
 */
import type { MessageConnection } from 'vscode-jsonrpc';
import { LogNotification, type AgentLogMessage } from '../protocol/agent-rpc';

export type LogLevel = AgentLogMessage['level'];
export type Log = (level: Exclude<LogLevel, 'trace'>, message: string) => void;

const RANK: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };

export class AgentLog {
  private connection: MessageConnection | undefined;

  constructor(private readonly clientLevel: LogLevel = process.env.POLICY_STUDIO_DEBUG ? 'debug' : 'info') {}

  attach(connection: MessageConnection | undefined): void {
    this.connection = connection;
  }

  readonly log: Log = (level, message) => {
    process.stderr.write(`[policy-studio-agent ${new Date().toISOString()} ${level}] ${message}\n`);
    if (this.connection && RANK[level] >= RANK[this.clientLevel]) {
      // The client may already be gone (stdin closed); a log line is not worth failing for.
      this.connection.sendNotification(LogNotification, { level, message }).catch(() => undefined);
    }
  };
}
