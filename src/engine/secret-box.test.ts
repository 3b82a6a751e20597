import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox, secretHint } from './secret-box.ts';

describe('secret box', () => {
  it('round-trips a secret without ever storing it in clear, with a fresh IV each time', () => {
    const box = createSecretBox(randomBytes(32));
    const a = box.encrypt('hunter-key-123456');
    const b = box.encrypt('hunter-key-123456');
    expect(a).not.toContain('hunter-key');
    expect(a).not.toBe(b);
    expect(box.decrypt(a)).toBe('hunter-key-123456');
  });

  it('refuses a secret encrypted under another key or tampered with', () => {
    const token = createSecretBox(randomBytes(32)).encrypt('x');
    expect(() => createSecretBox(randomBytes(32)).decrypt(token)).toThrow();
    expect(secretHint('abcdefghijkl')).toBe('…ijkl');
  });
});
