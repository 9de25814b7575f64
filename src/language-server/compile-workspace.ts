/**
 * Policy documents → CompileResult (bundle + problems). Shared by the language
 * server's CompileWorkspace request and the CLI, so a deploy from the editor
 * and `policy-studio test` see the same bundle for the same files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { importedUris } from './policy-imports.js';
import { DocumentState, URI, type LangiumDocument } from 'langium';
import { NodeFileSystem } from 'langium/node';
import type { Diagnostic } from 'vscode-languageserver';
import { compileBundle } from './ir-compiler.js';
import { createPolicyServices, type PolicyServices } from './policy-module.js';
import type { CompileProblem, CompileResult } from '../protocol/language-rpc.js';

const severities: Record<number, CompileProblem['severity']> = { 1: 'error', 2: 'warning', 3: 'info', 4: 'info' };

export function problemsOf(documents: Iterable<LangiumDocument>): CompileProblem[] {
  const problems: CompileProblem[] = [];
  for (const doc of documents) {
    for (const d of doc.diagnostics ?? []) problems.push(toProblem(doc, d));
  }
  return problems;
}

function toProblem(doc: LangiumDocument, d: Diagnostic): CompileProblem {
  const problem: CompileProblem = { severity: severities[d.severity ?? 1] ?? 'error', message: typeof d.message === 'string' ? d.message : d.message.value, source: { uri: doc.uri.toString(), range: d.range } };
  const code = (d.data as { code?: unknown } | undefined)?.code ?? d.code;
  if (typeof code === 'string') problem.code = code;
  return problem;
}

/** Errors that should stop a deploy or a test run: all but failing expects (those are the test's result). */
export function blockingErrors(problems: CompileProblem[]): CompileProblem[] {
  return problems.filter((p) => p.severity === 'error' && p.code !== 'expect-fails');
}

/** Compile documents already built (validated) by a DocumentBuilder. */
export function compileDocuments(documents: LangiumDocument[]): CompileResult {
  return { bundle: compileBundle(documents), problems: problemsOf(documents) };
}

/** The language server's view: every `.policy` document of the workspace, or those of `uris`. */
export async function compileOpenWorkspace(services: PolicyServices, uris?: string[]): Promise<CompileResult> {
  const shared = services.shared;
  await shared.workspace.WorkspaceManager.ready;
  await shared.workspace.DocumentBuilder.waitUntil(DocumentState.Validated);
  const wanted = uris ? new Set(uris.map((u) => URI.parse(u).toString())) : undefined;
  const documents = shared.workspace.LangiumDocuments.all
    .filter((d) => d.uri.path.endsWith('.policy') && (!wanted || wanted.has(d.uri.toString())))
    .toArray();
  return compileDocuments(documents);
}

export interface FileCompilation extends CompileResult { documents: LangiumDocument[]; services: PolicyServices }

/** The CLI's view: exactly these files, read from disk, parsed, linked and validated. */
export async function compileFiles(files: string[]): Promise<FileCompilation> {
  const services = createPolicyServices(NodeFileSystem).Policy;
  const langiumDocuments = services.shared.workspace.LangiumDocuments;
  const documents: LangiumDocument[] = [];
  const queue = files.map((file) => URI.file(path.resolve(file)));
  const seen = new Set<string>();
  // Given files first, then what their `import "…"` lines name (a missing one is a diagnostic, not a crash).
  for (let uri = queue.shift(); uri; uri = queue.shift()) {
    if (seen.has(uri.toString())) continue;
    seen.add(uri.toString());
    const document = await langiumDocuments.getOrCreateDocument(uri);
    documents.push(document);
    for (const imported of importedUris(document)) {
      if (fs.existsSync(imported.fsPath)) queue.push(imported);
    }
  }
  await services.shared.workspace.DocumentBuilder.build(documents, { validation: true });
  return { ...compileDocuments(documents), documents, services };
}
