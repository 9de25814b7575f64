/**
 * Unresolved workload names in `expect` lines get a message in the domain's
 * words and a suggestion ("did you mean 'frontend'?"). The diagnostic keeps
 * Langium's `linking-error` code and `refText` in its data.
 */
import { DefaultLinker, type AstNodeDescription, type LinkingError, type ReferenceInfo } from 'langium';
import type { PolicyServices } from './policy-module.js';
import type { WorkloadCatalog } from './workload-catalog.js';

export class PolicyLinker extends DefaultLinker {
  private readonly catalog: WorkloadCatalog;

  constructor(services: PolicyServices) {
    super(services);
    this.catalog = services.policy.WorkloadCatalog;
  }

  override createLinkingError(refInfo: ReferenceInfo, targetDescription?: AstNodeDescription): LinkingError {
    const error = super.createLinkingError(refInfo, targetDescription);
    const name = refInfo.reference.$refText;
    // `expect a -> b`: `b` may also be a service (mentioned only when the workspace has any).
    const services = refInfo.property === 'to' ? this.catalog.services().map((s) => s.name) : [];
    const orService = services.length > 0;
    const candidates = [...this.catalog.entries().map((e) => e.name), ...services];
    const suggestion = closest(name, candidates);
    error.message = `Unknown workload${orService ? ' or service' : ''} '${name}'.` + (suggestion ? ` Did you mean '${suggestion}'?` : '');
    return error;
  }
}

/** The candidate within edit distance 2 (or a third of the name), if any. */
export function closest(name: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of new Set(candidates)) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) { best = candidate; bestDistance = d; }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
