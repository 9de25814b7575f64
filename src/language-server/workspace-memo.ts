/**
 * A value computed from every document of the workspace, kept until the
 * workspace changes. Validation of a 10,000-line workspace asks the catalog
 * and the compiled bundle once per selector and expect; recomputing (or even
 * re-checking) each time would be quadratic. The document builder tells us
 * when documents change (update) and when they were re-parsed or re-linked
 * (build phases), which is when a cached value may be stale.
 */
import { DocumentState, type AstNode, type LangiumSharedCoreServices } from 'langium';

export class WorkspaceMemo<T> {
  private value: T | undefined;

  constructor(private readonly shared: LangiumSharedCoreServices, private readonly compute: (roots: AstNode[]) => T) {
    const builder = shared.workspace.DocumentBuilder;
    const reset = (): void => { this.value = undefined; };
    builder.onUpdate(reset);
    builder.onBuildPhase(DocumentState.IndexedContent, reset);
    builder.onBuildPhase(DocumentState.Linked, reset);
  }

  get(): T {
    this.value ??= this.compute(this.shared.workspace.LangiumDocuments.all.map((d) => d.parseResult.value).toArray());
    return this.value;
  }
}
