import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import type { AddressPolicy } from '../http/address-guard.ts';
import { httpRequest } from '../http/client.ts';

/** The little of the DOM we read (linkedom's types lean on the browser's, which Node code does not load). */
interface LightDocument {
  querySelector(
    selector: string,
  ): { textContent: string | null; getAttribute(name: string): string | null } | null;
  body: { textContent: string | null } | null;
}

export interface FetchedPage {
  url: string;
  title: string;
  text: string;
  description?: string | null;
}

export type PageOutcome = { ok: true; page: FetchedPage } | { ok: false; url: string; reason: string };

const MAX_PAGE_BYTES = 2 * 1024 * 1024;
const MAX_TEXT_CHARS = 12_000;

/**
 * Fetches a page through the guarded client (no private addresses unless configured, size cap,
 * timeout) and keeps its readable text: Readability over a light DOM, falling back to the body text.
 */
export async function fetchPage(
  url: string,
  policy: AddressPolicy,
  signal: AbortSignal,
  timeoutMs = 10_000,
): Promise<PageOutcome> {
  const result = await httpRequest(policy, {
    method: 'GET',
    url,
    signal,
    timeoutMs,
    maxBytes: MAX_PAGE_BYTES,
  });
  if (!result.ok) return { ok: false, url, reason: result.failure.message };
  const { status, headers, body } = result.response;
  if (status >= 400) return { ok: false, url, reason: `answered ${status}` };
  const type = String(headers['content-type'] ?? '');
  const raw = body.toString('utf8');
  if (/text\/plain/i.test(type))
    return { ok: true, page: { url: result.response.url, title: url, text: clip(raw) } };
  if (!/html|xml/i.test(type) && type !== '') return { ok: false, url, reason: `not a web page (${type})` };
  const { document } = parseHTML(raw) as unknown as { document: LightDocument };
  const title = (document.querySelector('title')?.textContent ?? '').trim();
  const description =
    document.querySelector('meta[name="description"]')?.getAttribute('content') ??
    document.querySelector('meta[property="og:description"]')?.getAttribute('content') ??
    null;
  let text = '';
  try {
    const article = new Readability(document).parse();
    text = article?.textContent ?? '';
  } catch {
    // Readability gives up on odd markup; the body text is still useful.
  }
  if (text.trim().length < 200) text = document.body?.textContent ?? text;
  return {
    ok: true,
    page: {
      url: result.response.url,
      title: title || url,
      text: clip(text),
      description: description?.trim() || null,
    },
  };
}

function clip(text: string): string {
  const squeezed = text
    .replace(/[ \t\f\v]+/g, ' ')
    .replace(/\s*\n\s*/g, '\n')
    .trim();
  return squeezed.length > MAX_TEXT_CHARS ? `${squeezed.slice(0, MAX_TEXT_CHARS)}…` : squeezed;
}
