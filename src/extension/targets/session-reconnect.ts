/**
 * Reconnecting after a remote agent's connection dropped: retries with
 * backoff (the datapath keeps enforcing from its pins meanwhile) and gives up
 * on errors that retrying cannot fix (a changed host key, no Node on the VM).
 * A new session re-subscribes to flows as part of connecting.
 */
import { retryWithBackoff, ReconnectAbortedError } from '../../client/backoff';
import { LimactlMissingError } from '../../client/lima/limactl';
import { NodeMissingError, SudoRequiredError } from '../../client/ssh/ssh-agent';
import { HostKeyChangedError, HostKeyRejectedError } from '../../client/ssh/ssh-connection';

const fatal = (e: unknown) =>
  e instanceof HostKeyChangedError || e instanceof HostKeyRejectedError || e instanceof NodeMissingError || e instanceof SudoRequiredError || e instanceof LimactlMissingError;

export class SessionReconnector {
  private abort?: AbortController;

  constructor(
    private readonly connect: () => Promise<unknown>,
    private readonly report: (attempt: number, error: unknown, delayMs: number) => void,
    private readonly gaveUp: (error: unknown) => void,
  ) {}

  get active(): boolean {
    return this.abort !== undefined;
  }

  schedule(): void {
    if (this.abort) return;
    const abort = new AbortController();
    this.abort = abort;
    retryWithBackoff(this.connect, { signal: abort.signal, isFatal: fatal, onRetry: this.report })
      .catch((e: unknown) => { if (!(e instanceof ReconnectAbortedError)) this.gaveUp(e); })
      .finally(() => { if (this.abort === abort) this.abort = undefined; });
  }

  dispose(): void {
    this.abort?.abort();
    this.abort = undefined;
  }
}
