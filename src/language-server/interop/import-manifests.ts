/**
 * A YAML stream of CiliumNetworkPolicy and NetworkPolicy documents (also
 * `kind: List`/`NetworkPolicyList` wrappers) → policy language text, plus a
 * warning for each construct that could not be carried over.
 */
import { LineCounter, parseAllDocuments } from 'yaml';
import { importCiliumPolicy } from './import-cilium.js';
import { importNetworkPolicy } from './import-k8s.js';
import type { ImportedPolicy } from './imported-policy.js';
import { WarningList, type InteropWarning } from './interop-warning.js';
import { SelectorFormatError } from './label-selector.js';
import type { CiliumNetworkPolicy, NetworkPolicy } from './manifest-types.js';
import { writePolicies } from './policy-text-writer.js';

export interface ImportResult { text: string; policies: ImportedPolicy[]; warnings: InteropWarning[] }

export class ManifestSyntaxError extends Error {}

export function importManifests(yamlText: string, origin = 'manifest'): ImportResult {
  const warnings = new WarningList();
  const lineCounter = new LineCounter();
  const policies: ImportedPolicy[] = [];
  for (const doc of parseAllDocuments(yamlText, { lineCounter })) {
    const line = lineCounter.linePos(doc.contents?.range[0] ?? doc.range[0]).line;
    if (doc.errors.length) throw new ManifestSyntaxError(`${origin}:${lineCounter.linePos(doc.errors[0]!.pos[0]).line}: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const items = isObject(value) && Array.isArray(value.items) && /List$/.test(String(value.kind)) ? value.items : [value];
    for (const item of items) policies.push(...importOne(item, line, warnings));
  }
  const text = writePolicies(policies, [`Imported from ${origin}: ${policies.length} polic${policies.length === 1 ? 'y' : 'ies'}`]);
  return { text, policies, warnings: warnings.items };
}

function importOne(item: unknown, line: number, warnings: WarningList): ImportedPolicy[] {
  if (!isObject(item)) { warnings.add('a document that is not an object is ignored', { line }); return []; }
  try {
    if (item.kind === 'NetworkPolicy' && String(item.apiVersion).startsWith('networking.k8s.io/')) return [importNetworkPolicy(item as unknown as NetworkPolicy, line, warnings)];
    if (item.kind === 'CiliumNetworkPolicy') return importCiliumPolicy(item as unknown as CiliumNetworkPolicy, line, warnings);
  } catch (err) {
    if (err instanceof SelectorFormatError) { warnings.add(`${String(item.kind)}: ${err.message}; document skipped`, { line }); return []; }
    throw err;
  }
  warnings.add(`kind ${String(item.kind)} (${String(item.apiVersion)}) is not a network policy the language imports; document ignored`, { line });
  return [];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
