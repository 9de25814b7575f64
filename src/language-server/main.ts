/**
 * The language server's Node entry. The extension starts it with
 * TransportKind.ipc; besides LSP it answers CompileWorkspace (the bundle a
 * deploy sends to the agent). A browser twin (main-browser.ts, for Monaco)
 * will reuse createPolicyServices with EmptyFileSystem.
 */
import { startLanguageServer } from 'langium/lsp';
import { NodeFileSystem } from 'langium/node';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { CompileWorkspace, TracePacket } from '../protocol/language-rpc.js';
import { proposeAllowRule } from './allow-rule-proposal.js';
import { trace, UnknownWorkloadError } from './evaluator.js';
import { declarationKey } from './workload-catalog.js';
import { compileOpenWorkspace } from './compile-workspace.js';
import { createPolicyServices } from './policy-module.js';

const connection = createConnection(ProposedFeatures.all);
const { shared, Policy } = createPolicyServices({ connection, ...NodeFileSystem });

connection.onRequest(CompileWorkspace, (params) => compileOpenWorkspace(Policy, params.uris));
// Explain Drop and the Test Explorer: one packet through the evaluator, with the allow rule that would pass it.
connection.onRequest(TracePacket, async (p) => {
  const { bundle } = await compileOpenWorkspace(Policy);
  try {
    const result = trace(bundle, p.from, p.to, p.port, p.protocol, p.icmpType);
    const asExpect = { id: '', from: p.from, to: p.to, port: p.port, protocol: p.protocol, icmpType: p.icmpType, verdict: 'allowed' as const, text: '', source: { uri: '', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } } };
    const fix = p.proposeFix && result.verdict === 'denied'
      ? proposeAllowRule(bundle, asExpect, result.decidedBy, (ns, name) => Policy.policy.WorkloadCatalog.declarationsNamed(declarationKey('policy', ns, name)))
      : undefined;
    return { ...result, fix };
  } catch (error) {
    if (error instanceof UnknownWorkloadError) return { error: error.message };
    throw error;
  }
});

startLanguageServer(shared);
