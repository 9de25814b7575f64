/**
 * The workspace compiled to the policy IR, shared by the validator (expects
 * that fail statically, shadowed rules) and hovers (effective ingress and
 * egress). Recompiled only when a document changed; asked after linking.
 */
import type { LangiumDocument, LangiumSharedCoreServices } from 'langium';
import type { PolicyBundle } from '../protocol/policy-ir.js';
import { compileBundle } from './ir-compiler.js';
import { WorkspaceMemo } from './workspace-memo.js';

export class WorkspaceBundle {
  private readonly memo: WorkspaceMemo<PolicyBundle>;

  constructor(shared: LangiumSharedCoreServices) {
    this.memo = new WorkspaceMemo(shared,
      (roots) => compileBundle(roots.map((r) => r.$document).filter((d): d is LangiumDocument => d !== undefined)));
  }

  get(): PolicyBundle {
    return this.memo.get();
  }
}
