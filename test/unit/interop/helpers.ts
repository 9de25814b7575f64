/** Fixtures for the interop tests: the language's own parser and compiler, and the real schemas with ajv. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { EmptyFileSystem, URI } from 'langium';
import { parse as parseYaml } from 'yaml';
import { createPolicyServices } from '../../../src/language-server/policy-module.js';
import { compileBundle } from '../../../src/language-server/ir-compiler.js';
import type { PolicyBundle } from '../../../src/protocol/policy-ir.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const MANIFESTS = path.join(ROOT, 'test/data/manifests');

export function manifestFiles(): string[] {
  return ['kubernetes', 'cilium'].flatMap((dir) => fs.readdirSync(path.join(MANIFESTS, dir)).filter((f) => f.endsWith('.yaml')).sort().map((f) => path.join(MANIFESTS, dir, f)));
}

export interface Compiled { bundle: PolicyBundle; errors: string[] }

let counter = 0;
/** Parses, links, validates and compiles `files` (name → text) as one fresh workspace. */
export async function compileTexts(files: Record<string, string>): Promise<Compiled> {
  const services = createPolicyServices(EmptyFileSystem).Policy;
  const workspace = services.shared.workspace;
  const run = ++counter;
  const documents = Object.entries(files).map(([name, text]) => {
    const doc = workspace.LangiumDocumentFactory.fromString(text, URI.parse(`file:///interop${run}/${name}`));
    workspace.LangiumDocuments.addDocument(doc);
    return doc;
  });
  await workspace.DocumentBuilder.build(documents, { validation: true });
  const errors = documents.flatMap((d) => (d.diagnostics ?? []).filter((x) => x.severity === 1).map((x) => `${d.uri.path}:${x.range.start.line + 1}: ${typeof x.message === 'string' ? x.message : x.message.value}`));
  return { bundle: compileBundle(documents), errors };
}

function newAjv(): Ajv {
  // The CRD's patterns are Go regexps: `\\PC` is JavaScript's `\\P{C}` (with the u flag).
  const regExp = Object.assign((source: string, flags: string) => new RegExp(source.replace(/\\([pP])([A-Z])/g, '\\$1{$2}'), flags), { code: 'goRegExp' });
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: true, logger: false, code: { regExp } });
  ajv.addFormat('idn-hostname', /^[^\s/:]+$/);
  // The CRD's CIDRs: IPv4 or IPv6 with a prefix length (Cilium's `cidr` format).
  ajv.addFormat('cidr', /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^[0-9a-fA-F:]+\/\d{1,3}$/);
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  return ajv;
}

let cilium: ValidateFunction | undefined;
let kubernetes: ValidateFunction | undefined;

/** Cilium's CRD schema for cilium.io/v2 (spec.versions[v2].schema.openAPIV3Schema). */
export function ciliumValidator(): ValidateFunction {
  if (!cilium) {
    const crd = parseYaml(fs.readFileSync(path.join(ROOT, 'test/data/schemas/cilium/ciliumnetworkpolicies.yaml'), 'utf8'));
    const v2 = crd.spec.versions.find((v: { name: string }) => v.name === 'v2');
    cilium = newAjv().compile(v2.schema.openAPIV3Schema);
  }
  return cilium;
}

export function kubernetesValidator(): ValidateFunction {
  kubernetes ??= newAjv().compile(JSON.parse(fs.readFileSync(path.join(ROOT, 'test/data/schemas/kubernetes/networkpolicy-v1.schema.json'), 'utf8')));
  return kubernetes;
}

/** Validation errors of `document` against its kind's schema, as readable lines (empty: valid). */
export function schemaErrors(document: unknown): string[] {
  const kind = (document as { kind?: string }).kind;
  const validate = kind === 'CiliumNetworkPolicy' ? ciliumValidator() : kind === 'NetworkPolicy' ? kubernetesValidator() : undefined;
  if (!validate) return [`no schema for kind ${kind}`];
  if (validate(document)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}
