/**
 * Every workload declared anywhere in the workspace, with its namespace and
 * effective labels. Completion offers these label keys and values; the
 * validator warns about selectors that match none of them.
 */
import { AstUtils, type LangiumDocuments, type LangiumSharedCoreServices } from 'langium';
import { isModel, isNamespace, isService, isWorkload, type Model, type Service, type Workload } from './generated/ast.js';
import { workloadLabels } from './policy-compiler.js';
import { namespaceOf } from './policy-namespaces.js';
import type { Labels } from '../protocol/policy-ir.js';

export interface CatalogEntry { node: Workload; name: string; namespace: string; labels: Labels }

export class WorkloadCatalog {
  private readonly documents: LangiumDocuments;

  constructor(shared: LangiumSharedCoreServices) {
    this.documents = shared.workspace.LangiumDocuments;
  }

  entries(): CatalogEntry[] {
    const models = this.documents.all.map((d) => d.parseResult.value).filter(isModel).toArray();
    const namespaceLabels = collectNamespaceLabels(models);
    const entries: CatalogEntry[] = [];
    for (const model of models) {
      for (const node of AstUtils.streamAllContents(model)) {
        if (!isWorkload(node) || !node.name) continue;
        const namespace = namespaceOf(node);
        entries.push({ node, name: node.name, namespace, labels: workloadLabels(node, namespace, namespaceLabels) });
      }
    }
    return entries;
  }

  services(): Service[] {
    return this.documents.all.flatMap((d) => AstUtils.streamAllContents(d.parseResult.value).filter(isService)).filter((s) => !!s.name).toArray();
  }

  /** Label keys and, per key, the values written in `workload` declarations (not the reserved ones). */
  writtenLabels(): Map<string, Set<string>> {
    const byKey = new Map<string, Set<string>>();
    for (const doc of this.documents.all) {
      for (const node of AstUtils.streamAllContents(doc.parseResult.value)) {
        if (!isWorkload(node)) continue;
        for (const label of node.labels?.labels ?? []) {
          if (!label.key) continue;
          const values = byKey.get(label.key) ?? new Set<string>();
          if (label.value !== undefined) values.add(label.value);
          byKey.set(label.key, values);
        }
      }
    }
    return byKey;
  }
}

/** Labels of each namespace name, merged over all `namespace NAME { labels {…} }` blocks. */
export function collectNamespaceLabels(models: Iterable<Model>): Map<string, Labels> {
  const result = new Map<string, Labels>();
  for (const model of models) {
    for (const ns of model.namespaces) {
      if (!isNamespace(ns) || !ns.name) continue;
      const labels = result.get(ns.name) ?? {};
      for (const label of ns.labels?.labels ?? []) labels[label.key] = label.value;
      result.set(ns.name, labels);
    }
  }
  return result;
}
