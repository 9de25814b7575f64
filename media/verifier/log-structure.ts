/**
 * The verifier log split into what a reader needs: one section per program
 * (a success log is `<program>:` followed by its statistics; a rejection is
 * libbpf's `prog '<name>'` report with the verifier's trace), each line
 * classified so the view can link `; source @ file.c:NN` annotations and
 * highlight the instruction the verifier stopped at and its error.
 */
export type LogLineKind = 'source' | 'insn' | 'failing-insn' | 'error' | 'stats' | 'text';

export interface LogLine { text: string; kind: LogLineKind; file?: string; line?: number }
export interface LogSection { program: string; lines: LogLine[] }

const SOURCE = /^; (.*) @ (\S+):(\d+)$/;
const INSN = /^\d+: \([0-9a-f]{2}\)/;
const STATS = /^(processed \d+ insns|verification time|stack depth|total_states|peak_states|mark_read)/;
const PROGRAM_HEADER = /^([A-Za-z_][\w.]*):$/;
const LIBBPF_PROG = /libbpf: prog '([^']+)'/;

export function structureLog(log: string, failed: boolean): LogSection[] {
  const sections: LogSection[] = [];
  let current: LogSection = { program: '', lines: [] };
  const start = (program: string): void => {
    if (current.lines.length || current.program) sections.push(current);
    current = { program, lines: [] };
  };
  for (const raw of log.split('\n')) {
    const text = raw.trimEnd();
    const header = PROGRAM_HEADER.exec(text);
    if (header && !failed) { start(header[1]); continue; }
    const prog = LIBBPF_PROG.exec(text);
    if (prog && prog[1] !== current.program) start(prog[1]);
    const source = SOURCE.exec(text.trim());
    if (source) current.lines.push({ text, kind: 'source', file: source[2], line: Number(source[3]) });
    else if (INSN.test(text)) current.lines.push({ text, kind: 'insn' });
    else if (STATS.test(text)) current.lines.push({ text, kind: 'stats' });
    else current.lines.push({ text, kind: 'text' });
  }
  sections.push(current);
  if (failed) for (const s of sections) markFailure(s);
  return sections.filter((s) => s.lines.some((l) => l.text.trim()));
}

/** The last instruction before the end of the trace is where the verifier gave up; the text after it is its reason. */
function markFailure(section: LogSection): void {
  let last = -1;
  section.lines.forEach((l, i) => { if (l.kind === 'insn') last = i; });
  if (last < 0) return;
  section.lines[last].kind = 'failing-insn';
  for (let i = last + 1; i < section.lines.length; i++) {
    const l = section.lines[i];
    if (l.kind === 'stats' || l.text.startsWith('-- END') || /^libbpf:/.test(l.text)) break;
    if (l.kind === 'text' && l.text.trim()) l.kind = 'error';
  }
}
