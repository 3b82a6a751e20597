import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  DELIVERY_HEADER,
  EVENT_HEADER,
  SIGNATURE_HEADER,
  signWebhookPayload,
} from '../domain/webhook-signature.ts';
import type { ClaimedDelivery, Clock, DeliveryAttemptOutcome, WebhookStore } from './ports.ts';
import type { RetryPolicy } from './retry.ts';
import type { SecretBox } from './secret-box.ts';

/**
 * The webhook deliverer: claims due deliveries from the store's outbox under a lease (several
 * processes may run one; the claim is the only coordination), signs and POSTs each through the
 * injected transport (the providers' guarded HTTP client), and records every attempt on the
 * delivery: 2xx is delivered; anything else is retried with exponential backoff until the attempts
 * run out; a target the address guard refuses fails at once.
 */

/** One POST, as the deliverer asks the transport to make it. */
export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export type WebhookResponse =
  | { ok: true; status: number; body: string }
  | {
      ok: false;
      /** `blocked` and `invalid_url` are final: the target itself is refused. */
      kind: 'blocked' | 'invalid_url' | 'timeout' | 'network' | 'too_large' | 'aborted';
      message: string;
    };

/** Sends one request; never throws. */
export type WebhookTransport = (request: WebhookRequest) => Promise<WebhookResponse>;

export interface WebhookDelivererOptions {
  /** Deliveries claimed per round (sent concurrently). */
  batchSize?: number;
  /** A response must be complete within this. */
  timeoutMs?: number;
  /** How long a claimed delivery stays leased; longer than `timeoutMs`, so a live attempt is never doubled. */
  leaseMs?: number;
  /** How often an idle deliverer looks for deliveries other processes wrote. */
  pollIntervalMs?: number;
  /** Attempts per delivery, the first included, and the backoff between them. */
  retry?: RetryPolicy;
  random?: () => number;
}

export interface WebhookDelivererDeps {
  store: WebhookStore;
  transport: WebhookTransport;
  /** Decrypts the webhook's stored signing secret. */
  secrets: Pick<SecretBox, 'decrypt'>;
  clock: Clock;
  logger: Logger;
  options?: WebhookDelivererOptions;
}

/** About 3.5 hours of attempts before a delivery is given up (manual retry stays possible). */
export const DEFAULT_WEBHOOK_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 12,
  baseDelayMs: 10_000,
  maxDelayMs: 3_600_000,
};

const DEFAULTS = { batchSize: 32, timeoutMs: 10_000, pollIntervalMs: 1_000 } as const;

/**
 * The delay after attempt `attempt` (1-based) failed: exponential up to the cap, with "equal
 * jitter" (between half the cap and the cap), so a dead endpoint is not hammered at once and a burst
 * of deliveries does not come back as a burst.
 */
export function webhookRetryDelayMs(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(cap / 2 + (random() * cap) / 2);
}

export class WebhookDeliverer {
  readonly workerId: string;
  readonly #store: WebhookStore;
  readonly #transport: WebhookTransport;
  readonly #secrets: Pick<SecretBox, 'decrypt'>;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #options: Required<WebhookDelivererOptions>;
  #wake = new AbortController();
  #stopping = new AbortController();
  #loop: Promise<void> | undefined;
  /** Requests made (every attempt), for tests. */
  attemptsMade = 0;

  constructor(deps: WebhookDelivererDeps) {
    const options = deps.options ?? {};
    this.workerId = `webhooks-${randomUUID()}`;
    this.#store = deps.store;
    this.#transport = deps.transport;
    this.#secrets = deps.secrets;
    this.#clock = deps.clock;
    this.#logger = deps.logger.child({ component: 'webhooks', workerId: this.workerId });
    const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    this.#options = {
      batchSize: options.batchSize ?? DEFAULTS.batchSize,
      timeoutMs,
      leaseMs: options.leaseMs ?? timeoutMs * 3 + 5_000,
      pollIntervalMs: options.pollIntervalMs ?? DEFAULTS.pollIntervalMs,
      retry: options.retry ?? DEFAULT_WEBHOOK_RETRY_POLICY,
      random: options.random ?? Math.random,
    };
    if (this.#options.leaseMs <= this.#options.timeoutMs)
      throw new Error('the webhook lease must be longer than the request timeout');
  }

  start(): void {
    if (this.#loop) return;
    this.#stopping = new AbortController();
    this.#loop = this.#run().catch((error: unknown) =>
      this.#logger.error({ err: error }, 'webhook loop crashed'),
    );
  }

  /** Stops claiming and waits for the attempts in flight (bounded by the request timeout). */
  async stop(): Promise<void> {
    this.#stopping.abort();
    this.wake();
    await this.#loop;
    this.#loop = undefined;
  }

  /** Deliveries may be due (a run finished in this process, a retry was asked for). */
  wake(): void {
    this.#wake.abort();
  }

  /**
   * One round: claims the due deliveries (up to a batch), makes one attempt at each, records the
   * outcomes. Returns how many were attempted. Tests drive it directly, round by round.
   */
  async deliverDue(): Promise<number> {
    const claimed = await this.#store.claimWebhookDeliveries(this.#options.batchSize, {
      nowMs: this.#clock.now(),
      leaseMs: this.#options.leaseMs,
    });
    await Promise.all(claimed.map((delivery) => this.#attempt(delivery)));
    return claimed.length;
  }

  async #run(): Promise<void> {
    while (!this.#stopping.signal.aborted) {
      // A read first: an idle deliverer never takes the write lock (SQLite) just to find nothing due.
      const due = await this.#store.nextWebhookDeliveryAt().catch((error: unknown) => {
        this.#logger.warn({ err: error }, 'webhook due-time query failed');
        return undefined;
      });
      if (due !== undefined && due <= this.#clock.now()) {
        let attempted = 0;
        try {
          attempted = await this.deliverDue();
        } catch (error) {
          this.#logger.error({ err: error }, 'webhook claim failed');
        }
        if (attempted > 0) continue;
      }
      const wake = this.#wake;
      if (wake.signal.aborted) {
        this.#wake = new AbortController();
        continue;
      }
      const idleMs = Math.min(
        this.#options.pollIntervalMs,
        due === undefined ? Infinity : Math.max(1, due - this.#clock.now()),
      );
      await this.#clock.sleep(idleMs, AbortSignal.any([wake.signal, this.#stopping.signal]));
      if (wake.signal.aborted) this.#wake = new AbortController();
    }
  }

  async #attempt(delivery: ClaimedDelivery): Promise<void> {
    let outcome: DeliveryAttemptOutcome;
    try {
      outcome = await this.#send(delivery);
    } catch (error) {
      outcome = this.#failure(delivery, null, `internal: ${(error as Error).message}`);
    }
    try {
      const recorded = await this.#store.recordWebhookAttempt(
        delivery.id,
        delivery.attempt,
        outcome,
        this.#clock.now(),
      );
      if (!recorded) this.#logger.warn({ deliveryId: delivery.id }, 'webhook lease lost; outcome discarded');
    } catch (error) {
      // The lease runs out and the delivery is attempted again: at least once, never lost.
      this.#logger.error({ err: error, deliveryId: delivery.id }, 'recording a webhook attempt failed');
    }
  }

  async #send(delivery: ClaimedDelivery): Promise<DeliveryAttemptOutcome> {
    let secret: string;
    try {
      secret = this.#secrets.decrypt(delivery.encryptedSecret);
    } catch {
      return {
        status: 'failed',
        statusCode: null,
        error: 'The signing secret cannot be decrypted by this server',
      };
    }
    const timestamp = Math.floor(this.#clock.now() / 1000);
    this.attemptsMade += 1;
    const response = await this.#transport({
      url: delivery.url,
      body: delivery.payload,
      timeoutMs: this.#options.timeoutMs,
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signWebhookPayload(secret, delivery.payload, timestamp),
        [DELIVERY_HEADER]: delivery.id,
        [EVENT_HEADER]: delivery.event,
      },
    });
    if (!response.ok) {
      if (response.kind === 'blocked' || response.kind === 'invalid_url')
        return { status: 'failed', statusCode: null, error: `${response.kind}: ${response.message}` };
      return this.#failure(delivery, null, `${response.kind}: ${response.message}`);
    }
    if (response.status >= 200 && response.status < 300)
      return { status: 'delivered', statusCode: response.status };
    const snippet = response.body.trim().slice(0, 200);
    return this.#failure(
      delivery,
      response.status,
      `HTTP ${response.status}${snippet ? `: ${snippet}` : ''}`,
    );
  }

  #failure(delivery: ClaimedDelivery, statusCode: number | null, error: string): DeliveryAttemptOutcome {
    const policy = this.#options.retry;
    if (delivery.attempt >= policy.maxAttempts) return { status: 'failed', statusCode, error };
    const delayMs = webhookRetryDelayMs(delivery.attempt, policy, this.#options.random);
    return { status: 'retry', nextAttemptAt: this.#clock.now() + delayMs, statusCode, error };
  }
}
