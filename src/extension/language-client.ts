/** Starts the policy language server in its own process (Node IPC). */
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';

export async function startLanguageClient(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): Promise<LanguageClient> {
  const module = context.asAbsolutePath('dist/language-server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file', language: 'policy' }, { scheme: 'untitled', language: 'policy' }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.policy') },
    // The server's console and, with policyStudio.trace.server on, the LSP trace: one log, its level chosen in the channel.
    outputChannel: log,
    traceOutputChannel: log,
  };
  const client = new LanguageClient('policyStudio', 'Policy Language Server', serverOptions, clientOptions);
  await client.start();
  return client;
}
