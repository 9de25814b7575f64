/**
 * Completion beyond keywords and cross-references: label keys and values that
 * exist in the `workload` declarations of the whole workspace. After
 * `app == "` (or `app in ("frontend", "`) it offers "frontend", "backend", …;
 * where a key is expected it offers `app`, `tier`, …; where a port is expected,
 * well-known ports with their service names (`5432/tcp  postgresql`); after
 * `icmp type`, the ICMP type names. Keywords (entities, protocols, verbs) and
 * workload/service names come from the grammar and the scope.
 */
import {
  AstUtils, GrammarAST, type AstNodeDescription, type LangiumDocument, type MaybePromise, type ReferenceInfo, type Stream,
} from 'langium';
import {
  DefaultCompletionProvider, type CompletionAcceptor, type CompletionContext, type NextFeature, type LangiumServices,
} from 'langium/lsp';
import { CompletionItemKind, CompletionList, type CompletionParams, type Range } from 'vscode-languageserver';
import type { CancellationToken } from 'vscode-languageserver';
import type { WorkloadCatalog } from './workload-catalog.js';
import { ICMP_TYPES } from './icmp-types.js';
import { WELL_KNOWN_PORTS } from './well-known-ports.js';
import type { PolicyServices } from './policy-module.js';

/** `key == "par`, `key != "par`, `key in ("a", "par`: the cursor is inside an open value string. */
const OPEN_SELECTOR_VALUE = /(?:"((?:\\.|[^"\\])*)"|([_a-zA-Z][\w.\/-]*))\s*(?:==|!=|(?:in|notin)\s*\((?:\s*"(?:\\.|[^"\\])*"\s*,)*)\s*"([^"]*)$/;
/** `key: "par` inside a `labels { }` block. */
const OPEN_LABEL_VALUE = /(?:"((?:\\.|[^"\\])*)"|([_a-zA-Z][\w.\/-]*))\s*:\s*"([^"]*)$/;

export class PolicyCompletionProvider extends DefaultCompletionProvider {
  private readonly catalog: WorkloadCatalog;

  constructor(services: PolicyServices) {
    super(services as unknown as LangiumServices);
    this.catalog = services.policy.WorkloadCatalog;
  }

  override async getCompletion(document: LangiumDocument, params: CompletionParams, cancelToken?: CancellationToken): Promise<CompletionList | undefined> {
    const inString = this.valueCompletionInOpenString(document, params);
    if (inString) return inString;
    return super.getCompletion(document, params, cancelToken);
  }

  /** Inside an unterminated string the grammar-driven completion sees no token; answer from the text. */
  private valueCompletionInOpenString(document: LangiumDocument, params: CompletionParams): CompletionList | undefined {
    const text = document.textDocument;
    const lineText = text.getText({ start: { line: params.position.line, character: 0 }, end: params.position });
    const match = OPEN_SELECTOR_VALUE.exec(lineText) ?? OPEN_LABEL_VALUE.exec(lineText);
    if (!match) return undefined;
    const key = match[1] ?? match[2]!;
    const typed = match[match.length - 1] ?? '';
    const quoteChar = params.position.character - typed.length - 1;
    // Replace from the opening quote to the cursor, and an auto-closed quote right after it.
    const after = text.getText({ start: params.position, end: { line: params.position.line, character: params.position.character + 1 } });
    const range: Range = {
      start: { line: params.position.line, character: quoteChar },
      end: { line: params.position.line, character: params.position.character + (after === '"' ? 1 : 0) },
    };
    const values = [...(this.catalog.writtenLabels().get(key) ?? [])].sort();
    return CompletionList.create(values.map((value) => ({
      label: value,
      kind: CompletionItemKind.Value,
      detail: `${key} label value`,
      filterText: `"${value}`,
      textEdit: { range, newText: JSON.stringify(value) },
    })), false);
  }

  protected override completionFor(context: CompletionContext, next: NextFeature, acceptor: CompletionAcceptor): MaybePromise<void> {
    const assignment = AstUtils.getContainerOfType(next.feature, GrammarAST.isAssignment);
    // A label key is a datatype rule, so completion may be asked for the terminals inside it.
    const inLabelKey = AstUtils.getContainerOfType(next.feature, GrammarAST.isParserRule)?.name === 'LabelKey';
    if ((assignment?.feature === 'key' || inLabelKey) && !GrammarAST.isKeyword(next.feature)) {
      for (const key of [...this.catalog.writtenLabels().keys()].sort()) {
        const plain = /^[_a-zA-Z]([\w-]*\w)?$/.test(key);
        acceptor(context, { label: key, kind: CompletionItemKind.Property, detail: 'label key', insertText: plain ? key : JSON.stringify(key) });
      }
      return;
    }
    if ((assignment?.feature === 'values' || assignment?.feature === 'value') && !GrammarAST.isKeyword(next.feature)) {
      const before = context.textDocument.getText({ start: { line: context.position.line, character: 0 }, end: context.position });
      const key = /(?:"((?:\\.|[^"\\])*)"|([_a-zA-Z][\w.\/-]*))\s*(?:==|!=|:|(?:in|notin)\s*\((?:\s*"(?:\\.|[^"\\])*"\s*,)*)\s*$/.exec(before);
      const values = key ? this.catalog.writtenLabels().get(key[1] ?? key[2]!) : undefined;
      for (const value of [...(values ?? [])].sort()) {
        acceptor(context, { label: JSON.stringify(value), kind: CompletionItemKind.Value, detail: 'label value' });
      }
      return;
    }
    if (assignment?.feature === 'icmpTypeName') {
      for (const [name, type] of Object.entries(ICMP_TYPES)) {
        acceptor(context, { label: name, kind: CompletionItemKind.EnumMember, detail: `ICMP type ${type}` });
      }
      return;
    }
    if (assignment?.feature === 'port' && !GrammarAST.isKeyword(next.feature)) {
      // `443/tcp  https`: the port and its protocol in one go, since the grammar continues with `/tcp` anyway.
      for (const known of WELL_KNOWN_PORTS) {
        acceptor(context, {
          label: `${known.port}/${known.protocol}`, kind: CompletionItemKind.Constant, detail: known.name,
          filterText: String(known.port), sortText: String(known.port).padStart(5, '0'),
        });
      }
      return;
    }
    return super.completionFor(context, next, acceptor);
  }

  /** Offer `shop/frontend` only for workloads outside `default`; `default/x` is just noise next to `x`. */
  protected override getReferenceCandidates(refInfo: ReferenceInfo, context: CompletionContext): Stream<AstNodeDescription> {
    return super.getReferenceCandidates(refInfo, context).filter((d) => !d.name.startsWith('default/'));
  }
}
