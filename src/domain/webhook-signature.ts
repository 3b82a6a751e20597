import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures, Stripe-style: `Enrichbase-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<raw body>">`, keyed with the webhook's whole secret (`whsec_…`) as UTF-8. The timestamp is
 * signed too, so a captured request cannot be replayed outside the tolerance window. Pure
 * computation (node:crypto only), so receivers and the SDK can reuse it.
 */
export const SIGNATURE_HEADER = 'Enrichbase-Signature';
export const DELIVERY_HEADER = 'Enrichbase-Delivery';
export const EVENT_HEADER = 'Enrichbase-Event';
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** A new signing secret: `whsec_` and 32 random bytes, base64url. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

function hmacHex(secret: string, timestamp: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/**
 * The signature header's value for `body` sent at `timestampSeconds`.
 *
 * @example
 *   signWebhookPayload('whsec_…', '{"id":"…"}', Math.floor(Date.now() / 1000)); // 't=1767225600,v1=5f…'
 */
export function signWebhookPayload(secret: string, body: string | Buffer, timestampSeconds: number): string {
  return `t=${timestampSeconds},v1=${hmacHex(secret, timestampSeconds, body)}`;
}

export type SignatureCheck =
  { ok: true; timestamp: number } | { ok: false; reason: 'malformed' | 'stale' | 'mismatch' };

/**
 * Checks a delivery's signature against the raw body (the exact bytes received, before any JSON
 * parsing) and refuses timestamps further than `toleranceSeconds` from `now` (epoch ms).
 *
 * @example
 *   const check = verifyWebhookSignature(secret, req.headers['enrichbase-signature'], rawBody);
 *   if (!check.ok) return res.status(400).end(check.reason);
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | null | undefined,
  body: string | Buffer,
  options: { toleranceSeconds?: number; now?: number } = {},
): SignatureCheck {
  if (!header) return { ok: false, reason: 'malformed' };
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2) as [string, string | undefined];
    if (key === 't' && value && /^\d+$/.test(value)) timestamp = Number(value);
    // Several v1 entries may be present while a secret is being rotated; any may match.
    if (key === 'v1' && value && /^[0-9a-f]{64}$/i.test(value)) signatures.push(value.toLowerCase());
  }
  if (timestamp === undefined || signatures.length === 0) return { ok: false, reason: 'malformed' };
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(nowSeconds - timestamp) > tolerance) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(hmacHex(secret, timestamp, body), 'hex');
  const matches = signatures.some((signature) => timingSafeEqual(expected, Buffer.from(signature, 'hex')));
  return matches ? { ok: true, timestamp } : { ok: false, reason: 'mismatch' };
}
