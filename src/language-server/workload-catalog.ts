/**
 * Every workload declared anywhere in the workspace, with its namespace and
 * effective labels. Completion offers these label keys and values; the
 * validator warns about selectors that match none of them.
 */
import { type AstNode, type LangiumSharedCoreServices } from 'langium';
import { isModel, type Service, type Workload } from './generated/ast.js';
import { collectNamespaceLabels, namespaceFingerprints, workloadLabels } from './workload-labels.js';
import { declarationsOf } from './document-declarations.js';
import type { Labels } from '../protocol/policy-ir.js';
import { WorkspaceMemo } from './workspace-memo.js';

export interface CatalogEntry { node: Workload; name: string; namespace: string; labels: Labels }

interface CatalogSnapshot {
  entries: CatalogEntry[];
  services: Service[];
  writtenLabels: Map<string, Set<string>>;
  /** `endpoint:ns/name` (workloads and services share names: expects name either) and `policy:ns/name`. */
  declarations: Map<string, AstNode[]>;
}

/** The key under which duplicate declarations collide. */
export function declarationKey(kind: 'endpoint' | 'policy', namespace: string, name: string): string {
  return `${kind}:${namespace}/${name}`;
}

export class WorkloadCatalog {
  private readonly memo: WorkspaceMemo<CatalogSnapshot>;

  constructor(shared: LangiumSharedCoreServices) {
    this.memo = new WorkspaceMemo(shared, snapshot);
  }

  entries(): CatalogEntry[] {
    return this.memo.get().entries;
  }

  services(): Service[] {
    return this.memo.get().services;
  }

  /** Every declaration with this key, across the workspace. */
  declarationsNamed(key: string): AstNode[] {
    return this.memo.get().declarations.get(key) ?? [];
  }

  /** Label keys and, per key, the values written in `workload` declarations (not the reserved ones). */
  writtenLabels(): Map<string, Set<string>> {
    return this.memo.get().writtenLabels;
  }
}

function snapshot(roots: AstNode[]): CatalogSnapshot {
  const models = roots.filter(isModel);
  const namespaceLabels = collectNamespaceLabels(models);
  const fingerprints = namespaceFingerprints(namespaceLabels);
  const result: CatalogSnapshot = { entries: [], services: [], writtenLabels: new Map(), declarations: new Map() };
  const declare = (key: string, node: AstNode): void => {
    const list = result.declarations.get(key) ?? [];
    list.push(node);
    result.declarations.set(key, list);
  };
  // Each document's declarations are found once per parse (document-declarations.ts); this only merges them.
  for (const model of models) {
    const declared = declarationsOf(model);
    for (const { node, namespace } of declared.policies) declare(declarationKey('policy', namespace, node.name), node);
    for (const { node, namespace } of declared.endpoints) declare(declarationKey('endpoint', namespace, node.name), node);
    for (const { node } of declared.services) result.services.push(node);
    for (const { node, namespace } of declared.workloads) {
      result.entries.push({ node, name: node.name, namespace, labels: labelsCached(node, namespace, namespaceLabels, fingerprints) });
      for (const label of node.labels?.labels ?? []) {
        if (!label.key) continue;
        const values = result.writtenLabels.get(label.key) ?? new Set<string>();
        if (label.value !== undefined) values.add(label.value);
        result.writtenLabels.set(label.key, values);
      }
    }
  }
  return result;
}

const effectiveLabels = new WeakMap<Workload, { fingerprint: string; labels: Labels }>();

/** A workload's labels with its namespace's, reused while neither changed (callers must not mutate them). */
function labelsCached(node: Workload, namespace: string, namespaceLabels: Map<string, Labels>, fingerprints: Map<string, string>): Labels {
  const fingerprint = fingerprints.get(namespace) ?? '';
  const cached = effectiveLabels.get(node);
  if (cached && cached.fingerprint === fingerprint) return cached.labels;
  const labels = workloadLabels(node, namespace, namespaceLabels);
  effectiveLabels.set(node, { fingerprint, labels });
  return labels;
}

