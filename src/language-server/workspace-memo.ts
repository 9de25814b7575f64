/**
 * A value computed from every document of the workspace, kept until a
 * document is re-parsed or added/removed. Validation of a 10,000-line
 * workspace asks the catalog and the compiled bundle once per selector and
 * expect; recomputing each time would be quadratic.
 */
import type { AstNode, LangiumDocuments } from 'langium';

export class WorkspaceMemo<T> {
  private roots: AstNode[] = [];
  private value: T | undefined;

  constructor(private readonly documents: LangiumDocuments, private readonly compute: (roots: AstNode[]) => T) {}

  get(): T {
    const roots = this.documents.all.map((d) => d.parseResult.value).toArray();
    // A re-parse makes a new root node, so identity of the roots is the version of the workspace.
    if (this.value === undefined || roots.length !== this.roots.length || roots.some((r, i) => r !== this.roots[i])) {
      this.roots = roots;
      this.value = this.compute(roots);
    }
    return this.value;
  }
}
