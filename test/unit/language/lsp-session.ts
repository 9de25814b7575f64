/**
 * A real language server process (src/language-server/main.ts over stdio, as
 * the extension runs it over IPC) and a minimal LSP client: open documents,
 * wait for their diagnostics, send requests. Tests talk the protocol only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { Diagnostic } from 'vscode-languageserver';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export class LspSession {
  readonly diagnostics = new Map<string, Diagnostic[]>();
  private readonly waiters: Array<() => void> = [];
  private versions = new Map<string, number>();

  private constructor(readonly connection: MessageConnection, readonly server: ChildProcess, readonly folder: string) {}

  /** `bundle`: run the built dist/language-server.js (what the extension ships) instead of the sources through tsx. */
  static async start(dir: string, options: { bundle?: boolean } = {}): Promise<LspSession> {
    const entry = options.bundle ? [path.join(root, 'dist/language-server.js')] : ['--import', 'tsx', path.join(root, 'src/language-server/main.ts')];
    // Profiling the server under a test or the benchmark: LSP_SERVER_CPU_PROF=DIR writes a .cpuprofile there on exit.
    const profile = process.env.LSP_SERVER_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.LSP_SERVER_CPU_PROF] : [];
    const server = spawn(process.execPath, [...profile, ...entry, '--stdio'], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
    const connection = createMessageConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
    const session = new LspSession(connection, server, pathToFileURL(dir).toString());
    connection.onNotification('textDocument/publishDiagnostics', (p: { uri: string; diagnostics: Diagnostic[] }) => {
      session.diagnostics.set(p.uri, p.diagnostics);
      for (const wake of session.waiters.splice(0)) wake();
    });
    connection.onRequest('workspace/configuration', () => []);
    connection.onRequest('client/registerCapability', () => null);
    connection.listen();
    await connection.sendRequest('initialize', {
      processId: process.pid, rootUri: session.folder, workspaceFolders: [{ uri: session.folder, name: 'ws' }],
      capabilities: { textDocument: { semanticTokens: { requests: { full: true }, tokenTypes: [], tokenModifiers: [], formats: ['relative'] } } },
    });
    await connection.sendNotification('initialized', {});
    return session;
  }

  uri(file: string): string {
    return `${this.folder}/${file}`;
  }

  /** Waits until `check` holds for the published diagnostics (the server publishes after each build). */
  async diagnosticsWhere(uri: string, check: (d: Diagnostic[]) => boolean, timeoutMs = 30_000): Promise<Diagnostic[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = this.diagnostics.get(uri);
      if (current && check(current)) return current;
      if (Date.now() > deadline) throw new Error(`diagnostics of ${uri} never matched; last: ${JSON.stringify(current?.map((d) => d.message))}`);
      await new Promise<void>((resolve) => { this.waiters.push(resolve); setTimeout(resolve, 500); });
    }
  }

  async open(uri: string, text: string): Promise<void> {
    this.versions.set(uri, 1);
    await this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'policy', version: 1, text } });
  }

  async change(uri: string, text: string): Promise<void> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    await this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.connection.sendRequest(method, params) as Promise<R>;
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
      await this.connection.sendNotification('exit');
    } catch { /* already gone */ }
    this.connection.dispose();
    // Give `exit` a moment to end the process on its own (a profile is written then), then make sure.
    if (this.server.exitCode === null) await Promise.race([new Promise((r) => this.server.once('exit', r)), new Promise((r) => setTimeout(r, 3000))]);
    if (this.server.exitCode === null) this.server.kill();
  }
}

/** Offset-free position of the first `needle` (plus `delta` characters) in `text`. */
export function at(text: string, needle: string, delta = 0): { line: number; character: number } {
  const offset = text.indexOf(needle);
  if (offset < 0) throw new Error(`'${needle}' not in text`);
  const before = text.slice(0, offset + delta).split('\n');
  return { line: before.length - 1, character: before[before.length - 1]!.length };
}

/** Applies LSP text edits (non-overlapping) to a string. */
export function applyEdits(text: string, edits: Array<{ range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }>): string {
  const lines = text.split('\n');
  const offsetOf = (p: { line: number; character: number }): number => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  const sorted = [...edits].sort((a, b) => offsetOf(b.range.start) - offsetOf(a.range.start));
  let result = text;
  for (const e of sorted) result = result.slice(0, offsetOf(e.range.start)) + e.newText + result.slice(offsetOf(e.range.end));
  return result;
}
