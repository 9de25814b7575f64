/**
 * Workloads and services are visible to `expect` lines in every file of the workspace,
 * under their plain name and under `namespace/name` (the default scope would
 * only export top-level nodes, missing those inside `namespace { }` blocks).
 */
import { AstUtils, DefaultScopeComputation, type AstNodeDescription, type LangiumDocument } from 'langium';
import type { CancellationToken } from 'vscode-languageserver';
import { isService, isWorkload } from './generated/ast.js';
import { namespaceOf } from './policy-namespaces.js';

export class PolicyScopeComputation extends DefaultScopeComputation {
  override async collectExportedSymbols(document: LangiumDocument, _cancelToken?: CancellationToken): Promise<AstNodeDescription[]> {
    const exports: AstNodeDescription[] = [];
    for (const node of AstUtils.streamAllContents(document.parseResult.value)) {
      if (!(isWorkload(node) || isService(node)) || !node.name) continue;
      exports.push(this.descriptions.createDescription(node, node.name, document));
      const namespace = namespaceOf(node);
      exports.push(this.descriptions.createDescription(node, `${namespace}/${node.name}`, document));
    }
    return exports;
  }
}
