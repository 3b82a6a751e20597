import { describe, expect, it } from 'vitest';
import { computeDelayMs, isRetryableStatus, parseRetryAfterMs, retryPolicy, sleep } from './retry.ts';

describe('retry policy', () => {
  const policy = retryPolicy({ baseDelayMs: 100, maxDelayMs: 1_000 });

  it('doubles the step each attempt, keeps half of it fixed, and caps it at maxDelayMs', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => computeDelayMs(attempt, policy, () => 0))).toEqual([
      50, 100, 200, 400, 500,
    ]);
    expect([1, 2, 3, 4, 5].map((attempt) => computeDelayMs(attempt, policy, () => 1))).toEqual([
      100, 200, 400, 800, 1_000,
    ]);
  });

  it('retries 429 and 5xx only', () => {
    expect([400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504].filter(isRetryableStatus)).toEqual([
      429, 500, 502, 503, 504,
    ]);
  });

  it('reads Retry-After as seconds or as an HTTP date, and ignores what it cannot read', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfterMs('3', now)).toBe(3_000);
    expect(parseRetryAfterMs('0.5', now)).toBe(500);
    expect(parseRetryAfterMs('Wed, 01 Jan 2025 00:00:07 GMT', now)).toBe(7_000);
    expect(parseRetryAfterMs('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs(null, now)).toBeUndefined();
  });

  it('turns retries off with false and defaults to four attempts', () => {
    expect(retryPolicy(false).maxAttempts).toBe(1);
    expect(retryPolicy(undefined).maxAttempts).toBe(4);
  });

  it('sleeps until aborted, then rejects with the reason', async () => {
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(slept).rejects.toThrow('stop');
    await expect(sleep(1, AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });
});
