import dns from 'node:dns';
import net from 'node:net';
import type { WebhookTransport } from '../../engine/webhooks.ts';
import {
  BlockedAddressError,
  checkLiteralHost,
  isInternalAddress,
  type AddressPolicy,
} from './address-guard.ts';
import { httpRequest } from './client.ts';

/** Bytes of a receiver's answer read at most (only its status matters, and a snippet for the log). */
const MAX_RESPONSE_BYTES = 1024 * 1024;
/** How long the create-time check waits for DNS before leaving the decision to delivery time. */
const LOOKUP_TIMEOUT_MS = 2_000;

/**
 * Webhook POSTs through the providers' one outbound client: the same address guard as http columns
 * (checked on the address actually connected to), a timeout, and no redirects followed (a receiver
 * that moved answers 3xx, which is not an acceptance).
 */
export function createWebhookTransport(policy: AddressPolicy): WebhookTransport {
  return async (request) => {
    const result = await httpRequest(policy, {
      method: 'POST',
      url: request.url,
      headers: request.headers,
      body: request.body,
      timeoutMs: request.timeoutMs,
      maxBytes: MAX_RESPONSE_BYTES,
      maxRedirects: 0,
    });
    if (!result.ok) return { ok: false, kind: result.failure.kind, message: result.failure.message };
    return { ok: true, status: result.response.status, body: result.response.body.toString('utf8') };
  };
}

function allowedHost(policy: AddressPolicy, host: string, port: number): boolean {
  return (
    policy.allowPrivate ||
    policy.allowedHosts.includes(host) ||
    policy.allowedHosts.includes(`${host}:${port}`)
  );
}

/**
 * Why the address guard would refuse this URL as a webhook target, or undefined when it would not:
 * not http(s), a literal internal address, or a name resolving to one (unless the policy allows it).
 * A name that does not resolve now is accepted; the guard runs again on every delivery.
 */
export async function checkWebhookUrl(policy: AddressPolicy, raw: string): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'Not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return 'Only http and https URLs receive webhooks';
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  try {
    checkLiteralHost(policy, url.hostname, port);
  } catch (error) {
    if (error instanceof BlockedAddressError) return error.message;
    throw error;
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host) || allowedHost(policy, host, port)) return undefined;
  const addresses = await Promise.race([
    dns.promises.lookup(host, { all: true }).catch(() => []),
    new Promise<dns.LookupAddress[]>((resolve) => setTimeout(() => resolve([]), LOOKUP_TIMEOUT_MS).unref()),
  ]);
  const internal = addresses.find((entry) => isInternalAddress(entry.address));
  return internal ? `Refusing ${host}: it resolves to an internal address (${internal.address})` : undefined;
}
