/** `policy-studio test` without --live: every expect through the static evaluator. */
import type { PolicyBundle } from '../protocol/policy-ir.js';
import { trace, type TraceProtocol } from '../language-server/evaluator.js';
import { decisionText } from '../protocol/decision-text.js';
import { expectLine, summaryLine, type SourcePaths } from './report.js';

export function runStaticTests(bundle: PolicyBundle, paths: SourcePaths, print: (line: string) => void): { passed: number; failed: number } {
  let passed = 0;
  let failed = 0;
  for (const expect of bundle.expects) {
    const result = trace(bundle, expect.from, expect.to, expect.port, expect.protocol as TraceProtocol, expect.icmpType);
    const ok = result.verdict === expect.verdict;
    if (ok) passed++; else failed++;
    print(expectLine(ok, expect, paths, ok ? undefined : `got ${decisionText(result, (source) => paths.line(source))}`));
  }
  print(summaryLine(passed, failed));
  return { passed, failed };
}
