import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, signWebhookPayload, verifyWebhookSignature } from './webhook-signature.ts';

const SECRET = 'whsec_test_secret_0123456789';
const BODY = '{"id":"d1","type":"run.finished","data":{"run":{"id":"r1"}}}';
const NOW = Date.parse('2026-01-01T00:00:00Z');
const T = NOW / 1000;

describe('webhook signatures', () => {
  it('signs "<t>.<body>" with HMAC-SHA256 in the documented header format', () => {
    const expected = createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('hex');
    expect(signWebhookPayload(SECRET, BODY, T)).toBe(`t=${T},v1=${expected}`);
  });

  it('accepts its own signature within the tolerance, on a string or a Buffer body', () => {
    const header = signWebhookPayload(SECRET, BODY, T);
    expect(verifyWebhookSignature(SECRET, header, BODY, { now: NOW + 299_000 })).toEqual({
      ok: true,
      timestamp: T,
    });
    expect(verifyWebhookSignature(SECRET, header, Buffer.from(BODY), { now: NOW - 299_000 }).ok).toBe(true);
  });

  it('rejects a tampered body, a wrong secret and a forged signature', () => {
    const header = signWebhookPayload(SECRET, BODY, T);
    expect(verifyWebhookSignature(SECRET, header, BODY.replace('r1', 'r2'), { now: NOW })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifyWebhookSignature('whsec_other_secret_000000', header, BODY, { now: NOW }).ok).toBe(false);
    expect(verifyWebhookSignature(SECRET, `t=${T},v1=${'0'.repeat(64)}`, BODY, { now: NOW }).ok).toBe(false);
  });

  it('rejects a timestamp outside the replay window, even with a valid signature', () => {
    const stale = signWebhookPayload(SECRET, BODY, T - 301);
    expect(verifyWebhookSignature(SECRET, stale, BODY, { now: NOW })).toEqual({ ok: false, reason: 'stale' });
    expect(verifyWebhookSignature(SECRET, stale, BODY, { now: NOW, toleranceSeconds: 600 }).ok).toBe(true);
    const future = signWebhookPayload(SECRET, BODY, T + 301);
    expect(verifyWebhookSignature(SECRET, future, BODY, { now: NOW })).toEqual({
      ok: false,
      reason: 'stale',
    });
  });

  it('rejects malformed headers, and accepts any of several v1 signatures (secret rotation)', () => {
    for (const header of [undefined, null, '', 'v1=abc', `t=${T}`, `t=soon,v1=${'a'.repeat(64)}`]) {
      expect(verifyWebhookSignature(SECRET, header, BODY, { now: NOW })).toEqual({
        ok: false,
        reason: 'malformed',
      });
    }
    const good = signWebhookPayload(SECRET, BODY, T).split(',')[1]!;
    expect(verifyWebhookSignature(SECRET, `t=${T},v1=${'b'.repeat(64)},${good}`, BODY, { now: NOW }).ok).toBe(
      true,
    );
  });

  it('generates distinct whsec_ secrets', () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(generateWebhookSecret()).not.toBe(a);
  });
});
