/**
 * Retry policy as data. Backoff is exponential with full jitter (a uniformly random delay up to the
 * exponential cap), so a burst of failures does not come back as a burst of retries; a provider's
 * Retry-After is a floor, never shortened.
 */
export interface RetryPolicy {
  /** Attempts per cell, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 60_000 };

/** The delay before attempt `attempt + 1`, after `attempt` (1-based) failed. */
export function computeDelayMs(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * cap);
}

/** Backoff, but never sooner than the provider asked for. */
export function retryDelayMs(
  attempt: number,
  policy: RetryPolicy,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  return Math.max(retryAfterMs ?? 0, computeDelayMs(attempt, policy, random));
}
