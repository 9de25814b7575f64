/**
 * Runs `fn` at most once per `ms`, however often it is asked: flows arrive in
 * bursts, and the views they feed need refreshing a couple of times a second.
 */
export class Coalesced {
  private timer?: NodeJS.Timeout;

  constructor(private readonly fn: () => void, private readonly ms = 500) {}

  request(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.fn();
    }, this.ms);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
