/**
 * The language server's web-worker entry, the twin of main.ts for the browser
 * playground (Monaco + monaco-languageclient). Same services from
 * createPolicyServices, but over postMessage and with no file system: the
 * workspace is whatever documents the editor opens.
 *
 * CompileWorkspace is not registered here: it exists for deploys to the
 * agent, which the playground has no way to reach (and compile-workspace.ts
 * uses node:path).
 */
import { EmptyFileSystem } from 'langium';
import { startLanguageServer } from 'langium/lsp';
import { BrowserMessageReader, BrowserMessageWriter, createConnection } from 'vscode-languageserver/browser';
import { createPolicyServices } from './policy-module.js';

// Inside a dedicated worker the global scope is the message port to the page.
declare const self: ConstructorParameters<typeof BrowserMessageReader>[0];

const connection = createConnection(new BrowserMessageReader(self), new BrowserMessageWriter(self));
const { shared } = createPolicyServices({ connection, ...EmptyFileSystem });

startLanguageServer(shared);
