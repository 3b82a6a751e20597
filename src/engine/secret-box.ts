import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Encrypts vendor keys at rest (AES-256-GCM, a fresh IV per secret). The box's key lives outside the
 * database: ENRICHBASE_SECRET_KEY, or a key file in the data directory that only the server reads.
 */
export interface SecretBox {
  encrypt(plain: string): string;
  decrypt(token: string): string;
}

const VERSION = 'v1';

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('the secret key must be 32 bytes');
  return {
    encrypt(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return [
        VERSION,
        iv.toString('base64url'),
        cipher.getAuthTag().toString('base64url'),
        body.toString('base64url'),
      ].join('.');
    },
    decrypt(token) {
      const [version, iv, tag, body] = token.split('.');
      if (version !== VERSION || !iv || !tag || body === undefined)
        throw new Error('not a secret of this server');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    },
  };
}

/** The last few characters of a key, to tell keys apart without showing them. */
export function secretHint(secret: string): string {
  return secret.length <= 8 ? '…' : `…${secret.slice(-4)}`;
}
