import type { Clock, ProviderError, ProviderLimits } from './ports.ts';

/**
 * Per-provider admission: a concurrency limit, a request-rate bucket and a token-rate bucket, shared
 * by every run of every table in the process. On a 429 the limiter pauses for Retry-After and lowers
 * its rate (multiplicative decrease); calm periods raise it back (additive increase) up to the
 * configured limit. Unconfigured providers run unthrottled until their first 429 teaches a rate.
 */

const MINUTE_MS = 60_000;
/** Buckets refill slightly under the configured rate and hold a small burst, so no 60-second window ever exceeds the limit. */
const RATE_SAFETY = 0.975;
const BURST_SHARE = 0.02;
const DECREASE_FACTOR = 0.7;
const INCREASE_FACTOR = 1.05;
const CALM_MS = 5_000;
const OBSERVE_WINDOW_MS = 10_000;
const DEFAULT_PAUSE_MS = 1_000;
const AUTH_COOLDOWN_MS = 60_000;
/** Grants in the observation window needed before a 429 teaches a rate. */
const MIN_SAMPLE = 20;

export interface Permit {
  /** Report how the call went; frees the concurrency slot. */
  release(outcome: {
    rateLimited?: boolean;
    retryAfterMs?: number;
    tokensUsed?: number;
    refused?: ProviderError;
  }): void;
}

/** Thrown by `acquire` while a provider's credentials are known to be refused. */
export class ProviderTrippedError extends Error {
  override readonly name = 'ProviderTrippedError';
  constructor(readonly providerError: ProviderError) {
    super(providerError.message);
  }
}

class TokenBucket {
  #tokens: number;
  #updatedAt: number;
  constructor(
    public ratePerMs: number,
    public capacity: number,
    now: number,
  ) {
    this.#tokens = capacity;
    this.#updatedAt = now;
  }

  #refill(now: number): void {
    if (now <= this.#updatedAt) return;
    this.#tokens = Math.min(this.capacity, this.#tokens + (now - this.#updatedAt) * this.ratePerMs);
    this.#updatedAt = now;
  }

  /** Takes `amount` now, or returns how long to wait until it can. */
  take(amount: number, now: number): number {
    this.#refill(now);
    const needed = Math.min(amount, this.capacity);
    if (this.#tokens >= needed) {
      this.#tokens -= amount;
      return 0;
    }
    return Math.ceil((needed - this.#tokens) / this.ratePerMs);
  }

  /** Charges (or refunds) usage learned after the call. */
  adjust(amount: number): void {
    this.#tokens = Math.min(this.capacity, this.#tokens - amount);
  }

  /** Sets the balance as of `at` (refill counts from then). */
  reset(tokens: number, at: number): void {
    this.#tokens = tokens;
    this.#updatedAt = at;
  }
}

export class ProviderLimiter {
  readonly key: string;
  readonly #clock: Clock;
  #limits: ProviderLimits;
  #active = 0;
  #waiters: (() => void)[] = [];
  #requests: TokenBucket | undefined;
  #tokens: TokenBucket | undefined;
  /** The learned request rate (per ms) for a provider without a configured one. */
  #learned: TokenBucket | undefined;
  #pausedUntil = 0;
  #lastDecreaseAt = 0;
  #lastIncreaseAt = 0;
  #grants: number[] = [];
  #tripped: { error: ProviderError; until: number } | undefined;
  /** Observed, for benchmarks and the runs panel. */
  rateLimitedCount = 0;

  constructor(key: string, limits: ProviderLimits, clock: Clock) {
    this.key = key;
    this.#clock = clock;
    this.#limits = { maxConcurrency: -1 };
    this.configure(limits);
  }

  /** Applies (new) configured limits; a learned rate is kept below them. */
  configure(limits: ProviderLimits): void {
    const same =
      limits.maxConcurrency === this.#limits.maxConcurrency &&
      limits.requestsPerMinute === this.#limits.requestsPerMinute &&
      limits.tokensPerMinute === this.#limits.tokensPerMinute;
    if (same) return;
    const now = this.#clock.now();
    if (limits.requestsPerMinute !== this.#limits.requestsPerMinute) {
      this.#requests = limits.requestsPerMinute ? bucketFor(limits.requestsPerMinute, now) : undefined;
    }
    if (limits.tokensPerMinute !== this.#limits.tokensPerMinute) {
      this.#tokens = limits.tokensPerMinute ? bucketFor(limits.tokensPerMinute, now) : undefined;
    }
    this.#limits = { ...limits };
    this.#wakeWaiters();
  }

  get inFlight(): number {
    return this.#active;
  }

  /** Waits for a concurrency slot and rate budget; aborting the signal gives up the wait. */
  async acquire(signal: AbortSignal, estimatedTokens = 0): Promise<Permit> {
    this.#throwIfTripped();
    await this.#takeSlot(signal);
    try {
      for (;;) {
        if (signal.aborted) throw signal.reason ?? new Error('aborted');
        this.#throwIfTripped();
        const wait = this.#admit(this.#clock.now(), estimatedTokens);
        if (wait <= 0) return this.#permit(estimatedTokens);
        await this.#clock.sleep(wait, signal);
      }
    } catch (error) {
      this.#freeSlot();
      throw error;
    }
  }

  /** Takes one request (and the estimated tokens) when every limit allows it now; else how long to wait. */
  #admit(now: number, estimatedTokens: number): number {
    if (this.#pausedUntil > now) return this.#pausedUntil - now;
    // Usage reported after earlier calls may have overdrawn the token budget.
    const tokenDebt = this.#tokens && estimatedTokens > 0 ? this.#tokens.take(0, now) : 0;
    if (tokenDebt > 0) return tokenDebt;
    const requestWait = this.#requests?.take(1, now) ?? 0;
    if (requestWait > 0) return requestWait;
    const learnedWait = this.#learned?.take(1, now) ?? 0;
    if (learnedWait > 0) {
      this.#requests?.adjust(-1);
      return learnedWait;
    }
    if (this.#tokens && estimatedTokens > 0) this.#tokens.adjust(estimatedTokens);
    this.#grants.push(now);
    return 0;
  }

  /** Credentials were refused: fail this provider's calls fast until the cooldown ends. */
  trip(error: ProviderError, cooldownMs = AUTH_COOLDOWN_MS): void {
    this.#tripped = { error, until: this.#clock.now() + cooldownMs };
  }

  #throwIfTripped(): void {
    if (this.#tripped && this.#tripped.until > this.#clock.now())
      throw new ProviderTrippedError(this.#tripped.error);
    this.#tripped = undefined;
  }

  #permit(estimatedTokens: number): Permit {
    let released = false;
    return {
      release: (outcome) => {
        if (released) return;
        released = true;
        if (this.#tokens && outcome.tokensUsed !== undefined)
          this.#tokens.adjust(outcome.tokensUsed - estimatedTokens);
        // Trip before the slot frees: no waiting call may slip through with the refused credentials.
        if (outcome.refused) this.trip(outcome.refused);
        if (outcome.rateLimited) this.#onRateLimited(outcome.retryAfterMs);
        else this.#onSuccess();
        this.#freeSlot();
      },
    };
  }

  #onRateLimited(retryAfterMs: number | undefined): void {
    const now = this.#clock.now();
    this.rateLimitedCount += 1;
    this.#pausedUntil = Math.max(this.#pausedUntil, now + (retryAfterMs ?? DEFAULT_PAUSE_MS));
    // One decrease per burst of 429s: the calls already in flight report the same overload.
    if (now - this.#lastDecreaseAt < DEFAULT_PAUSE_MS) return;
    this.#lastDecreaseAt = now;
    // A rate is learned only from a real sample; a lone 429 just pauses for its Retry-After.
    const observed = this.#observedRatePerMs(now);
    const current =
      this.#learned?.ratePerMs ??
      this.#requests?.ratePerMs ??
      (observed.sample >= MIN_SAMPLE ? observed.ratePerMs : undefined);
    if (current === undefined) return;
    const lowered = Math.max(current * DECREASE_FACTOR, 1 / MINUTE_MS);
    if (this.#learned) this.#learned.ratePerMs = lowered;
    else this.#learned = new TokenBucket(lowered, Math.max(1, lowered * 1000), now);
    // After the pause, restart gently: one request, then the lowered rate.
    this.#learned.reset(1, this.#pausedUntil);
    this.#requests?.reset(Math.min(1, this.#requests.capacity), this.#pausedUntil);
  }

  #onSuccess(): void {
    const now = this.#clock.now();
    if (!this.#learned || now - this.#lastDecreaseAt < CALM_MS || now - this.#lastIncreaseAt < 1000) return;
    this.#lastIncreaseAt = now;
    const ceiling = this.#requests?.ratePerMs ?? Infinity;
    const raised = this.#learned.ratePerMs * INCREASE_FACTOR;
    if (raised >= ceiling) this.#learned = undefined;
    else {
      this.#learned.ratePerMs = raised;
      this.#learned.capacity = Math.max(1, raised * 1000);
    }
  }

  #observedRatePerMs(now: number): { ratePerMs: number; sample: number } {
    this.#grants = this.#grants.filter((at) => at > now - OBSERVE_WINDOW_MS);
    const first = this.#grants[0] ?? now;
    return { ratePerMs: this.#grants.length / Math.max(1000, now - first), sample: this.#grants.length };
  }

  async #takeSlot(signal: AbortSignal): Promise<void> {
    const max = this.#limits.maxConcurrency ?? Infinity;
    while (this.#active >= max) {
      if (signal.aborted) throw signal.reason ?? new Error('aborted');
      await new Promise<void>((resolve) => {
        const wake = () => {
          signal.removeEventListener('abort', wake);
          resolve();
        };
        this.#waiters.push(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    }
    this.#active += 1;
  }

  #freeSlot(): void {
    this.#active -= 1;
    this.#waiters.shift()?.();
  }

  #wakeWaiters(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }
}

function bucketFor(perMinute: number, now: number): TokenBucket {
  return new TokenBucket(
    (perMinute * RATE_SAFETY) / MINUTE_MS,
    Math.max(1, Math.floor(perMinute * BURST_SHARE)),
    now,
  );
}

/** One limiter per key for the whole process. */
export class LimiterRegistry {
  readonly #clock: Clock;
  readonly #limiters = new Map<string, ProviderLimiter>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get(key: string, limits: ProviderLimits = {}): ProviderLimiter {
    let limiter = this.#limiters.get(key);
    if (!limiter) {
      limiter = new ProviderLimiter(key, limits, this.#clock);
      this.#limiters.set(key, limiter);
    } else {
      limiter.configure(limits);
    }
    return limiter;
  }

  all(): ProviderLimiter[] {
    return [...this.#limiters.values()];
  }
}
