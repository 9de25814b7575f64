/**
 * Quick fixes, switched on the diagnostic's code: replace a misspelt label
 * value, key, ICMP type or workload name with the suggestion the validator
 * found, and add the allow rule that makes a failing `expect … allowed` pass.
 */
import type { LangiumDocument, MaybePromise } from 'langium';
import type { CodeActionProvider } from 'langium/lsp';
import { CodeActionKind, type CodeAction, type CodeActionParams, type Command, type Diagnostic } from 'vscode-languageserver';
import { IssueCode } from './issue-codes.js';
import type { RuleProposal } from './allow-rule-proposal.js';
import type { WorkloadCatalog } from './workload-catalog.js';
import type { PolicyServices } from './policy-module.js';
import { closest } from './policy-linker.js';

export class PolicyCodeActionProvider implements CodeActionProvider {
  private readonly catalog: WorkloadCatalog;

  constructor(services: PolicyServices) {
    this.catalog = services.policy.WorkloadCatalog;
  }

  getCodeActions(document: LangiumDocument, params: CodeActionParams): MaybePromise<Array<Command | CodeAction>> {
    const actions: CodeAction[] = [];
    for (const diagnostic of params.context.diagnostics) {
      const action = this.fixFor(document, diagnostic);
      if (action) actions.push(action);
    }
    return actions;
  }

  private fixFor(document: LangiumDocument, diagnostic: Diagnostic): CodeAction | undefined {
    const data = (diagnostic.data ?? {}) as { code?: string; suggestion?: string; fix?: RuleProposal; refText?: string };
    const uri = document.uri.toString();
    switch (data.code) {
      case IssueCode.UnknownLabelValue:
        return data.suggestion ? this.replace(uri, diagnostic, JSON.stringify(data.suggestion), `Change to "${data.suggestion}"`) : undefined;
      case IssueCode.UnknownLabelKey:
      case IssueCode.UnknownIcmpType:
        return data.suggestion ? this.replace(uri, diagnostic, data.suggestion, `Change to '${data.suggestion}'`) : undefined;
      case 'linking-error': {
        const name = document.textDocument.getText(diagnostic.range);
        const suggestion = closest(name, [...this.catalog.entries().map((e) => e.name), ...this.catalog.services().map((s) => s.name)]);
        return suggestion ? this.replace(uri, diagnostic, suggestion, `Change to '${suggestion}'`) : undefined;
      }
      case IssueCode.ExpectFails: {
        const fix = data.fix;
        if (!fix) return undefined;
        return {
          title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], isPreferred: true,
          edit: { changes: { [fix.uri]: [{ range: { start: fix.position, end: fix.position }, newText: fix.newText }] } },
        };
      }
      default: return undefined;
    }
  }

  private replace(uri: string, diagnostic: Diagnostic, newText: string, title: string): CodeAction {
    return {
      title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], isPreferred: true,
      edit: { changes: { [uri]: [{ range: diagnostic.range, newText }] } },
    };
  }
}
