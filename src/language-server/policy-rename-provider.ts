/**
 * Rename that keeps a reference's namespace qualifier: an `expect` may name a
 * workload as `shop/web`, and Langium's default rename replaces the whole
 * reference text, which would drop `shop/`.
 */
import type { LangiumDocuments } from 'langium';
import { DefaultRenameProvider, type LangiumServices } from 'langium/lsp';
import type { CancellationToken, RenameParams, TextEdit, WorkspaceEdit } from 'vscode-languageserver';
import { URI, type LangiumDocument } from 'langium';

export class PolicyRenameProvider extends DefaultRenameProvider {
  private readonly documents: LangiumDocuments;

  constructor(services: LangiumServices) {
    super(services);
    this.documents = services.shared.workspace.LangiumDocuments;
  }

  override async rename(document: LangiumDocument, params: RenameParams, cancelToken?: CancellationToken): Promise<WorkspaceEdit | undefined> {
    const edit = await super.rename(document, params, cancelToken);
    for (const [uri, edits] of Object.entries(edit?.changes ?? {})) {
      const text = this.documents.getDocument(URI.parse(uri))?.textDocument;
      if (!text) continue;
      edit!.changes![uri] = edits.map((e): TextEdit => {
        const old = text.getText(e.range);
        const slash = old.lastIndexOf('/');
        return slash < 0 ? e : { range: e.range, newText: old.slice(0, slash + 1) + e.newText };
      });
    }
    return edit;
  }
}
