/** How the client retries idempotent calls that met a 429, a 5xx or a network error. */
export interface RetryOptions {
  /** Attempts per call, the first included (default 4; 1 turns retries off). */
  maxAttempts?: number;
  /** Backoff before the second attempt; doubles on each further one (default 500). */
  baseDelayMs?: number;
  /**
   * Longest wait between attempts (default 60 000). A `Retry-After` longer than this is not waited
   * out: the error is thrown at once, with `retryAfterMs` on it, for the caller to decide.
   */
  maxDelayMs?: number;
  /** Waits `ms` or rejects with the signal's reason once it aborts; tests inject a fake one. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export type RetryPolicy = Required<RetryOptions>;

export function retryPolicy(options: RetryOptions | false | undefined): RetryPolicy {
  const given = options === false ? { maxAttempts: 1 } : (options ?? {});
  return {
    maxAttempts: Math.max(1, given.maxAttempts ?? 4),
    baseDelayMs: given.baseDelayMs ?? 500,
    maxDelayMs: given.maxDelayMs ?? 60_000,
    sleep: given.sleep ?? sleep,
  };
}

/**
 * Exponential backoff with "equal jitter": half the step is fixed, half random. Unlike full jitter,
 * a client never comes straight back at a server that just said it is struggling.
 */
export function computeDelayMs(attempt: number, policy: RetryPolicy, random = Math.random): number {
  const stepMs = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(stepMs / 2 + random() * (stepMs / 2));
}

/** Rate limits and server trouble; a 4xx other than 429 would fail again. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** `Retry-After` in milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A timer that rejects with the signal's reason once the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
