/**
 * A construct that export or import could not carry over faithfully. It names
 * the construct and where it was written, so the CLI can print
 * `file:line: warning: …` and an editor could show it at the line.
 */
import type { SourceLocation } from '../../protocol/policy-ir.js';

export interface InteropWarning {
  message: string;
  /** A policy-language location (export). */
  source?: SourceLocation;
  /** A manifest document's first line, 1-based (import). */
  line?: number;
}

export class WarningList {
  readonly items: InteropWarning[] = [];

  add(message: string, where: { source?: SourceLocation; line?: number } = {}): void {
    this.items.push({ message, ...where });
  }
}
