/**
 * Where a policy apply spends its time, as named spans from the RPC call on
 * (compile, resolve, write, flip, …). Logged at debug level with every
 * generation, so the path from the RPC call to the first packet that sees
 * the new verdict (issue 3's ≤ 50 ms target) can be read off any agent log
 * without a profiler.
 */
export class ApplyTiming {
  private readonly start = performance.now();
  private last = this.start;
  private readonly spans: [string, number][] = [];

  /** Closes the span that ran since the previous mark (or the start). */
  mark(name: string): void {
    const now = performance.now();
    this.spans.push([name, now - this.last]);
    this.last = now;
  }

  /** Milliseconds since the start. */
  elapsedMs(): number {
    return performance.now() - this.start;
  }

  /** "compile 1.2, resolve 0.8, … = 4.1 ms" */
  toString(): string {
    return `${this.spans.map(([n, ms]) => `${n} ${ms.toFixed(1)}`).join(', ')} = ${(this.last - this.start).toFixed(1)} ms`;
  }
}
