/**
 * A compiled bundle → a multi-document YAML stream in the chosen format, plus
 * the warnings for everything the format could not carry.
 */
import { stringify } from 'yaml';
import type { PolicyBundle } from '../../protocol/policy-ir.js';
import { exportCilium } from './export-cilium.js';
import { exportKubernetes } from './export-k8s.js';
import { WarningList, type InteropWarning } from './interop-warning.js';
import type { CiliumNetworkPolicy, NetworkPolicy } from './manifest-types.js';

export type ExportFormat = 'cilium' | 'k8s';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['cilium', 'k8s'];

export interface ExportResult {
  documents: (CiliumNetworkPolicy | NetworkPolicy)[];
  yaml: string;
  warnings: InteropWarning[];
}

export function exportBundle(bundle: PolicyBundle, format: ExportFormat): ExportResult {
  const warnings = new WarningList();
  const documents = format === 'cilium' ? exportCilium(bundle, warnings) : exportKubernetes(bundle, warnings);
  return { documents, yaml: toYamlStream(documents), warnings: warnings.items };
}

export function toYamlStream(documents: object[]): string {
  // Plain JSON-compatible output: no anchors, no folded lines, so the text is stable across runs.
  return documents.map((d) => stringify(d, { aliasDuplicateObjects: false, lineWidth: 0 })).join('---\n');
}
