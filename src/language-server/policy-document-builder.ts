/**
 * An edit usually leaves the declarations other files link to (workloads and
 * services, named by `expect` lines) exactly as they were. Langium then still
 * unlinks, relinks and re-indexes the references of every file that names one
 * of them, before the edited file's diagnostics can be published: on a
 * 10,000-line workspace that was most of the time to diagnostics after an edit.
 *
 * Here such files keep their links: once the edited files are parsed and
 * indexed, a reference into them is re-pointed at the new node at the same
 * path, provided every exported workload and service reads the same (name,
 * path, range, text) as before. Otherwise they are relinked as Langium would.
 * Either way they are validated again (after the open documents), since their
 * diagnostics (failing expects, selectors matching nothing) depend on the
 * edited file's meaning.
 */
import { DefaultDocumentBuilder, DocumentState, type AstNodeDescription, type LangiumDocument, type LangiumSharedCoreServices, type URI } from 'langium';
import type { CancellationToken } from 'vscode-languageserver';

/** Langium's reference object (DefaultLinker.buildReference): the resolved node and the description it came from. */
interface LinkedReference { _ref?: unknown; _nodeDescription?: AstNodeDescription }

export class PolicyDocumentBuilder extends DefaultDocumentBuilder {
  /** Export signature of each changed document before the edit. */
  private before = new Map<string, string>();
  /** Documents kept linked, to be re-pointed (or relinked) once the changed documents are indexed. */
  private readonly pending = new Set<LangiumDocument>();

  constructor(services: LangiumSharedCoreServices) {
    super(services);
    this.onBuildPhase(DocumentState.IndexedContent, () => this.repointPending());
  }

  override async update(changed: URI[], deleted: URI[], cancelToken?: CancellationToken): Promise<void> {
    // A previous build was cancelled before re-pointing: relink those the plain way.
    for (const doc of this.pending) this.resetToState(doc, DocumentState.ComputedScopes);
    this.pending.clear();
    this.before = deleted.length > 0 ? new Map() : new Map(changed.map((uri) => [uri.toString(), this.exportSignature(uri.toString())]));
    return super.update(changed, deleted, cancelToken);
  }

  protected override shouldRelink(document: LangiumDocument, changedUris: Set<string>): boolean {
    if (document.references.some((ref) => ref.error !== undefined)) return true;
    if (!this.indexManager.isAffected(document, changedUris)) {
      // Its links are intact, but its diagnostics may depend on the edit all the
      // same: an expect here can be decided by a policy in the edited file, a
      // selector here can stop matching a workload declared there.
      if (document.state >= DocumentState.Validated) this.resetToState(document, DocumentState.IndexedReferences);
      return false;
    }
    if ([...changedUris].some((uri) => !this.before.has(uri))) return true; // deleted (or unknown) documents
    // Keep the links for now, but validate again.
    this.pending.add(document);
    this.resetToState(document, DocumentState.IndexedReferences);
    return false;
  }

  private repointPending(): void {
    if (this.pending.size === 0) return;
    const documents = [...this.pending];
    this.pending.clear();
    const same = [...this.before].every(([uri, signature]) => this.exportSignature(uri) === signature);
    for (const doc of documents) {
      if (same && this.repoint(doc)) continue;
      // Mid-build: resetting forgets the build state this build prepared (then it would skip validation); keep it.
      const key = doc.uri.toString();
      const state = this.buildState.get(key);
      this.resetToState(doc, DocumentState.ComputedScopes);
      if (state) this.buildState.set(key, state);
    }
  }

  /** Re-points references into the changed documents at the nodes now at the same path; false when one has none. */
  private repoint(doc: LangiumDocument): boolean {
    for (const ref of doc.references) {
      const linked = ref as unknown as LinkedReference;
      const old = linked._nodeDescription;
      if (!old || !this.before.has(old.documentUri.toString())) continue;
      const fresh = this.indexManager.allElements(old.type, new Set([old.documentUri.toString()]))
        .find((d) => d.name === old.name && d.path === old.path);
      if (!fresh) return false;
      linked._nodeDescription = fresh;
      linked._ref = undefined; // resolved again, lazily, from the fresh description
    }
    return true;
  }

  /** What other documents can see of one document: its exported names with their paths, ranges and text. */
  private exportSignature(uri: string): string {
    return this.indexManager.allElements(undefined, new Set([uri]))
      .map((d) => {
        const cst = d.node?.$cstNode;
        const r = cst?.range;
        return `${d.type} ${d.name} ${d.path} ${r ? `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}` : ''} ${cst?.text ?? ''}`;
      })
      .join('\n');
  }
}
