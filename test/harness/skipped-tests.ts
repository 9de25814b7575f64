/**
 * Skipped tests, counted and named: a skip that only disappears from the
 * closing `N passed, N failed` line hides a test that did not run. Each layer
 * of `npm test` leaves a `<layer>.skips` file (one JSON object a line: kind,
 * name, reason): node's test runner layers derive it from their TAP file, the
 * integration layer writes it from mocha's pending tests. Under CI=true a skip
 * fails the run unless test/skip-allowlist.txt names it with a reason.
 */

export interface SkippedTest {
  kind: 'skip' | 'todo';
  /** The full name: parents first, joined with ` > `. */
  name: string;
  reason: string;
}

export interface AllowedSkip { pattern: string; reason: string; matches: (name: string) => boolean }

export const NAME_SEPARATOR = ' > ';

/** The reason the e2e harness gives a step it skips because an earlier one failed (e2e-session.ts). */
export const FOLLOW_ON_SKIP_REASON = 'after failed step';

/** node's TAP reporter escapes `\` and `#` in names and reasons with a backslash. */
function unescapeTap(text: string): string {
  return text.replace(/\\(.)/g, '$1');
}

/** Index of the first `#` not escaped by a backslash, or -1. */
function directiveStart(text: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '#') return i;
  }
  return -1;
}

/**
 * Every test a TAP file reports as skipped or todo, with its parents' names:
 * node writes `# Subtest: <name>` at a test's start and `ok N - <name> # SKIP
 * <reason>` at its end, four spaces deeper per nesting level.
 */
export function skippedInTap(tap: string): SkippedTest[] {
  const parents: string[] = [];
  const skipped: SkippedTest[] = [];
  for (const line of tap.split('\n')) {
    const subtest = /^( *)# Subtest: (.*)$/.exec(line);
    if (subtest) {
      const depth = subtest[1]!.length / 4;
      parents.length = depth;
      parents[depth] = unescapeTap(subtest[2]!);
      continue;
    }
    const result = /^( *)(?:not )?ok \d+ - (.*)$/.exec(line);
    if (!result) continue;
    const depth = result[1]!.length / 4;
    const rest = result[2]!;
    const hash = directiveStart(rest);
    if (hash < 0) continue;
    const directive = /^#\s*(SKIP|TODO)\b\s*(.*)$/i.exec(rest.slice(hash));
    if (!directive) continue;
    const name = [...parents.slice(0, depth), unescapeTap(rest.slice(0, hash).trimEnd())].join(NAME_SEPARATOR);
    skipped.push({ kind: directive[1]!.toUpperCase() === 'SKIP' ? 'skip' : 'todo', name, reason: unescapeTap(directive[2]!) });
  }
  return skipped;
}

/**
 * The allow-list: one entry a line, `<name pattern> | <reason>`, where `*` in
 * the pattern stands for any text and the pattern covers the whole name; `#`
 * starts a comment line. An entry without a reason is an error: the file
 * exists to say why.
 */
export function parseAllowList(text: string): AllowedSkip[] {
  const entries: AllowedSkip[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const bar = line.lastIndexOf('|');
    const pattern = bar < 0 ? line : line.slice(0, bar).trim();
    const reason = bar < 0 ? '' : line.slice(bar + 1).trim();
    if (pattern === '' || reason === '') throw new Error(`skip allow-list line ${i + 1}: expected "<test name pattern> | <reason>", got ${JSON.stringify(raw)}`);
    const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    entries.push({ pattern, reason, matches: (name) => regex.test(name) });
  });
  return entries;
}

export function allowedBy(test: SkippedTest, allowList: readonly AllowedSkip[]): AllowedSkip | undefined {
  return allowList.find((entry) => entry.matches(test.name));
}

export function formatSkips(skips: readonly SkippedTest[]): string {
  return skips.map((s) => `${JSON.stringify(s)}\n`).join('');
}

export function parseSkips(text: string): SkippedTest[] {
  return text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as SkippedTest);
}
