/** Running commands over an SSH connection: argv in, quoted once by shell-quote.ts. */
import type { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import { shellCommand } from '../shell-quote';

export interface ExecResult { code: number | null; stdout: string; stderr: string }

/** Opens an exec channel for a command line that `shellCommand` built (or a fixed script without user text). */
export function openExec(client: Client, commandLine: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => client.exec(commandLine, (err, channel) => (err ? reject(err) : resolve(channel))));
}

/** Runs a fixed script or a quoted argv to completion and collects its output. */
export async function execCapture(client: Client, command: readonly string[] | { script: string }, stdin?: string): Promise<ExecResult> {
  const channel = await openExec(client, Array.isArray(command) ? shellCommand(command) : (command as { script: string }).script);
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let code: number | null = null;
    channel.on('data', (d: Buffer) => { stdout += d.toString(); });
    channel.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    channel.on('exit', (c: number | null) => { code = c; });
    channel.on('close', () => resolve({ code, stdout, stderr }));
    channel.end(stdin);
  });
}

export function openSftp(client: Client): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))));
}
