/**
 * Dependency injection for the policy language: Langium's defaults, the
 * generated parser, and our services (one per file). The Node entry (main.ts),
 * the CLI and tests all get their services from createPolicyServices().
 */
import './node20-compat.cjs';
import { inject, type DeepPartial, type Module } from 'langium';
import {
  createDefaultModule, createDefaultSharedModule,
  type DefaultSharedModuleContext, type LangiumServices, type LangiumSharedServices, type PartialLangiumServices,
} from 'langium/lsp';
import { PolicyGeneratedSharedModule, PolicyLanguageGeneratedModule } from './generated/module.js';
import { PolicyCompletionProvider } from './policy-completion-provider.js';
import { PolicyHoverProvider } from './policy-hover-provider.js';
import { PolicyFormatter } from './policy-formatter.js';
import { PolicySemanticTokenProvider } from './policy-semantic-tokens.js';
import { PolicyCodeActionProvider } from './policy-code-actions.js';
import { PolicyLinker } from './policy-linker.js';
import { PolicyRenameProvider } from './policy-rename-provider.js';
import { PolicyDocumentBuilder } from './policy-document-builder.js';
import { PolicyScopeComputation } from './policy-scope.js';
import { PolicyValidator, registerValidationChecks } from './policy-validator.js';
import { PolicyValueConverter } from './policy-value-converter.js';
import { WorkloadCatalog } from './workload-catalog.js';
import { WorkspaceBundle } from './workspace-bundle.js';

export interface PolicyAddedServices {
  validation: { PolicyValidator: PolicyValidator };
  policy: { WorkloadCatalog: WorkloadCatalog; WorkspaceBundle: WorkspaceBundle };
}

export type PolicyServices = LangiumServices & PolicyAddedServices;

export const PolicyModule: Module<PolicyServices, PartialLangiumServices & DeepPartial<PolicyAddedServices>> = {
  parser: {
    ValueConverter: () => new PolicyValueConverter(),
  },
  references: {
    ScopeComputation: (services) => new PolicyScopeComputation(services),
    Linker: (services) => new PolicyLinker(services),
  },
  validation: {
    PolicyValidator: (services) => new PolicyValidator(services),
  },
  lsp: {
    CompletionProvider: (services) => new PolicyCompletionProvider(services),
    HoverProvider: (services) => new PolicyHoverProvider(services),
    Formatter: () => new PolicyFormatter(),
    SemanticTokenProvider: (services) => new PolicySemanticTokenProvider(services),
    CodeActionProvider: (services) => new PolicyCodeActionProvider(services),
    RenameProvider: (services) => new PolicyRenameProvider(services),
  },
  policy: {
    WorkloadCatalog: (services) => new WorkloadCatalog(services.shared),
    WorkspaceBundle: (services) => new WorkspaceBundle(services.shared),
  },
};

/** Shared services we replace: the document builder that keeps links an edit did not invalidate. */
const PolicySharedModule: Module<LangiumSharedServices, DeepPartial<LangiumSharedServices>> = {
  workspace: {
    DocumentBuilder: (shared) => new PolicyDocumentBuilder(shared),
  },
};

export function createPolicyServices(context: DefaultSharedModuleContext): { shared: LangiumSharedServices; Policy: PolicyServices } {
  const shared = inject(createDefaultSharedModule(context), PolicyGeneratedSharedModule, PolicySharedModule);
  const Policy = inject(createDefaultModule({ shared }), PolicyLanguageGeneratedModule, PolicyModule);
  shared.ServiceRegistry.register(Policy);
  registerValidationChecks(Policy);
  // Validate every .policy file of the workspace, not only open editors: a deploy
  // compiles them all, and CompileWorkspace waits for the Validated state.
  shared.workspace.WorkspaceManager.initialBuildOptions = { validation: true };
  if (!context.connection) {
    // Without an LSP connection nobody calls initialize(); the workspace is built on demand.
    shared.workspace.ConfigurationProvider.initialized({});
  }
  return { shared, Policy };
}
