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

/**
 * Trace one packet through the workspace's policies with the language
 * server's static evaluator (Explain Drop, Test Explorer). `to` is a workload
 * (`name`, `ns/name`), `service:NAME` or `cidr:A.B.C.D/N`, as in `ExpectIR`.
 */
export interface TraceParams {
  from: string;
  to: string;
  protocol: 'tcp' | 'udp' | 'icmp';
  port?: number;
  icmpType?: number;
  /** Also propose the allow rule that would let this packet through (when a default deny decided). */
  proposeFix?: boolean;
}

export type TraceDecision =
  | { kind: 'rule'; ruleId: string; policyId: string; action: 'allow' | 'deny'; direction: 'ingress' | 'egress'; text: string; source: SourceLocation }
  | { kind: 'default-deny'; policyId: string; direction: 'ingress' | 'egress'; text: string; source: SourceLocation }
  | { kind: 'default-allow' }
  | { kind: 'no-backend'; service: string; source: SourceLocation };

/** An edit that adds an allow rule: insert `newText` at `position` in `uri`. */
export interface AllowRuleFix { title: string; uri: string; position: { line: number; character: number }; newText: string }

export type TraceResponse =
  | { verdict: 'allowed' | 'denied'; decidedBy: TraceDecision; /** The reasoning, one sentence per step. */ steps: string[]; fix?: AllowRuleFix }
  | { error: string };

export const TracePacket = new RequestType<TraceParams, TraceResponse, void>('policyStudio/trace');
