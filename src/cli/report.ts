/**
 * How the CLI prints things: `file:line` as the user typed the file, one line
 * per expectation, and problems as `file:line:col: severity: message` (the
 * format editors and CI annotators understand).
 */
import * as path from 'node:path';
import { URI } from 'langium';
import type { CompileProblem } from '../protocol/language-rpc.js';
import type { ExpectIR, SourceLocation } from '../protocol/policy-ir.js';

export class SourcePaths {
  private readonly byUri = new Map<string, string>();

  constructor(files: string[]) {
    for (const file of files) this.byUri.set(URI.file(path.resolve(file)).toString(), file);
  }

  file(uri: string): string {
    return this.byUri.get(uri) ?? path.relative(process.cwd(), URI.parse(uri).fsPath);
  }

  /** `examples/shop.policy:24` (1-based line). */
  line(location: SourceLocation): string {
    return `${this.file(location.uri)}:${location.range.start.line + 1}`;
  }

  problem(problem: CompileProblem): string {
    const { line, character } = problem.source.range.start;
    return `${this.file(problem.source.uri)}:${line + 1}:${character + 1}: ${problem.severity}: ${problem.message}`;
  }
}

export function expectLine(ok: boolean, expect: ExpectIR, paths: SourcePaths, detail?: string): string {
  return `${ok ? 'PASS' : 'FAIL'} ${paths.line(expect.source)} ${expect.text}${detail ? ` — ${detail}` : ''}`;
}

export function summaryLine(passed: number, failed: number): string {
  return `${passed} passed, ${failed} failed`;
}
