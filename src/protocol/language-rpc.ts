/**
 * Custom requests between the extension and the policy language server, on
 * top of LSP. The language server owns parsing and compiling; the extension
 * asks it for the workspace's policy bundle before a deploy.
 */
import { RequestType } from 'vscode-jsonrpc';
import type { PolicyBundle, SourceLocation } from './policy-ir';

export interface CompileParams { /** Restrict to the documents of these URIs; all `.policy` documents of the workspace when absent. */ uris?: string[] }

export interface CompileProblem {
  severity: 'error' | 'warning' | 'info'; message: string; source: SourceLocation;
  /** The diagnostic's code (`expect-fails`, `invalid-cidr`, …); `expect-fails` is a test result, not a reason to refuse a deploy. */
  code?: string;
}

export interface CompileResult { bundle: PolicyBundle; problems: CompileProblem[] }

export const CompileWorkspace = new RequestType<CompileParams, CompileResult, void>('policyStudio/compile');
