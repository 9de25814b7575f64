/**
 * The language server's Node entry. The extension starts it with
 * TransportKind.ipc; besides LSP it answers CompileWorkspace (the bundle a
 * deploy sends to the agent). A browser twin (main-browser.ts, for Monaco)
 * will reuse createPolicyServices with EmptyFileSystem.
 */
import { startLanguageServer } from 'langium/lsp';
import { NodeFileSystem } from 'langium/node';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { CompileWorkspace } from '../protocol/language-rpc.js';
import { compileOpenWorkspace } from './compile-workspace.js';
import { createPolicyServices } from './policy-module.js';

const connection = createConnection(ProposedFeatures.all);
const { shared, Policy } = createPolicyServices({ connection, ...NodeFileSystem });

connection.onRequest(CompileWorkspace, (params) => compileOpenWorkspace(Policy, params.uris));

startLanguageServer(shared);
