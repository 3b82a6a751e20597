import { describe, expect, it } from 'vitest';
import { computeDelayMs, retryDelayMs, type RetryPolicy } from './retry.ts';

const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };

describe('retry backoff', () => {
  it('doubles the cap per attempt up to the maximum, with full jitter below it', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => computeDelayMs(attempt, policy, () => 0.999999))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(computeDelayMs(3, policy, () => 0)).toBe(0);
    expect(computeDelayMs(3, policy, () => 0.5)).toBe(200);
  });

  it('never retries sooner than Retry-After', () => {
    expect(retryDelayMs(1, policy, 5000, () => 0.5)).toBe(5000);
    expect(retryDelayMs(4, policy, 10, () => 0.5)).toBe(400);
    expect(retryDelayMs(4, policy, undefined, () => 0.5)).toBe(400);
  });
});
