/**
 * Reconnecting to an agent after its connection dropped (VM suspended, Wi-Fi
 * gone, sshd restarted): retry with growing delays until it works or the
 * caller gives up. The datapath keeps enforcing from its pins meanwhile, so
 * there is no hurry, only a need not to hammer the VM.
 */
export const DEFAULT_RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000, 8000, 15000, 30000];

export interface BackoffOptions {
  /** Delay before each retry; the last one repeats. The first attempt is immediate. */
  delaysMs?: readonly number[];
  /** Stop after this many attempts (default: never). */
  maxAttempts?: number;
  signal?: AbortSignal;
  onRetry?(attempt: number, error: unknown, delayMs: number): void;
}

export class ReconnectAbortedError extends Error {}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new ReconnectAbortedError('reconnect cancelled'));
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(timer); reject(new ReconnectAbortedError('reconnect cancelled')); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Calls `attempt` until it resolves; errors that should not be retried (a changed host key) go through `isFatal`. */
export async function retryWithBackoff<T>(attempt: () => Promise<T>, options: BackoffOptions & { isFatal?(error: unknown): boolean } = {}): Promise<T> {
  const delays = options.delaysMs ?? DEFAULT_RECONNECT_DELAYS_MS;
  for (let n = 1; ; n++) {
    if (options.signal?.aborted) throw new ReconnectAbortedError('reconnect cancelled');
    try {
      return await attempt();
    } catch (error) {
      if (options.isFatal?.(error) || (options.maxAttempts !== undefined && n >= options.maxAttempts)) throw error;
      const delay = delays[Math.min(n - 1, delays.length - 1)] ?? 1000;
      options.onRetry?.(n, error, delay);
      await sleep(delay, options.signal);
    }
  }
}
