/** Shared fixtures: fresh services per test file (the workload catalog sees every document of a workspace). */
import { EmptyFileSystem, URI, type LangiumDocument } from 'langium';
import { clearDocuments } from 'langium/test';
import type { Diagnostic } from 'vscode-languageserver';
import { createPolicyServices, type PolicyServices } from '../../../src/language-server/policy-module.js';
import { compileBundle } from '../../../src/language-server/ir-compiler.js';
import type { Model } from '../../../src/language-server/generated/ast.js';
import type { PolicyBundle } from '../../../src/protocol/policy-ir.js';

export const DESIGN_SKETCH = `namespace shop { labels { team: "retail" } }      // optional; "default" otherwise

workload frontend { labels { app: "frontend", tier: "web" } replicas 2 }
workload backend  { labels { app: "backend" } }
workload db       { labels { app: "db" } }

policy backend-ingress {
  select app == "backend"
  ingress {
    allow from app == "frontend" to port 8080/tcp
    allow from app in ("frontend", "admin") to port 9000-9100/tcp
    allow from entity host
    deny  from cidr 10.0.0.0/8 except 10.1.0.0/16
  }
  egress {
    allow to app == "db" port 5432/tcp
  }
}

expect frontend -> backend:8080/tcp allowed
expect frontend -> db:5432/tcp denied
`;

export function newServices(): PolicyServices {
  return createPolicyServices(EmptyFileSystem).Policy;
}

/** Parses and validates `text` (plus any `others`, as further workspace files) in a fresh workspace. */
export async function validate(services: PolicyServices, text: string, others: string[] = []): Promise<{ document: LangiumDocument<Model>; diagnostics: Diagnostic[]; all: LangiumDocument[] }> {
  await clearDocuments(services);
  const workspace = services.shared.workspace;
  // Add every document first and build them together, as a workspace is built: cross-file links resolve.
  const add = (content: string, uri: string): LangiumDocument => {
    const doc = workspace.LangiumDocumentFactory.fromString(content, URI.parse(uri));
    workspace.LangiumDocuments.addDocument(doc);
    return doc;
  };
  const extra = others.map((other, i) => add(other, `file:///ws/other${i}.policy`));
  const document = add(text, 'file:///ws/main.policy') as LangiumDocument<Model>;
  await workspace.DocumentBuilder.build([...extra, document], { validation: true });
  return { document, diagnostics: document.diagnostics ?? [], all: [document, ...extra] };
}

export async function compileText(services: PolicyServices, text: string, others: string[] = []): Promise<PolicyBundle> {
  const { all } = await validate(services, text, others);
  return compileBundle(all);
}

/** Errors other than failing expects (those are the point of some fixtures, not a parse problem). */
export function errorsOf(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.severity === 1 && codeOf(d) !== 'expect-fails');
}

export function codeOf(d: Diagnostic): string | undefined {
  return (d.data as { code?: string } | undefined)?.code;
}

/** Zero-based line/character of the first occurrence of `needle` in `text`. */
export function positionOf(text: string, needle: string): { line: number; character: number } {
  const offset = text.indexOf(needle);
  if (offset < 0) throw new Error(`'${needle}' not in text`);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length - 1, character: before[before.length - 1]!.length };
}
