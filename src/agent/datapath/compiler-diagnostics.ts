/**
 * clang's diagnostics (`file:line:col: severity: message`) as
 * CompilerDiagnostic[], so a broken datapath shows up as Problems on the
 * right C line rather than as a wall of text.
 */
import type { CompilerDiagnostic } from '../../protocol/agent-rpc';

const DIAGNOSTIC_LINE = /^(.+?):(\d+):(\d+): (fatal error|error|warning|note): (.*)$/;

export function parseClangDiagnostics(output: string): CompilerDiagnostic[] {
  const out: CompilerDiagnostic[] = [];
  for (const line of output.split('\n')) {
    const m = DIAGNOSTIC_LINE.exec(line.trimEnd());
    if (!m) continue;
    const severity = m[4] === 'fatal error' ? 'error' : (m[4] as CompilerDiagnostic['severity']);
    out.push({ file: m[1], line: Number(m[2]), column: Number(m[3]), severity, message: m[5] });
  }
  return out;
}
