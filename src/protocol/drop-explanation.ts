/**
 * Explain Drop's result as data (built by src/extension/editor/drop-explanation.ts,
 * rendered by media/explain/): declared here, on the ground floor, because the
 * host and the webview both read it (webview-messages.ts carries it).
 */
import type { FlowEvent } from './flow-event';
import type { AllowRuleFix } from './language-rpc';
import type { Labels, SourceLocation } from './policy-ir';

export interface ExplainedEnd {
  role: 'source' | 'destination';
  workload?: string;
  ip: string;
  port: number;
  identity: number;
  labels: Labels;
}

export interface DropExplanation {
  title: string;
  /** One paragraph in plain words: who, where it was enforced, why. */
  summary: string;
  ends: ExplainedEnd[];
  /** The static evaluator's reasoning, one sentence per step. */
  steps: string[];
  /** The line that decided: a rule, or the `select` line of the policy whose default deny applied. */
  decidingText?: string;
  decidingSource?: SourceLocation;
  /** What the evaluator concludes for this packet now (may differ from the drop when the file changed since deploy). */
  staticVerdict?: 'allowed' | 'denied';
  staticError?: string;
  fix?: AllowRuleFix;
  flow: FlowEvent;
}
