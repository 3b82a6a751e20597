import type { ValidationIssue } from './types.ts';

/**
 * An error answer of the API. `detail` is the server's own: a message for 400/401/403/404 (and any
 * other status), or for 422 the list of every problem as FastAPI words it (`{loc, msg, type}`).
 *
 * @example
 * try {
 *   await client.tables.run(tableId, { mode: 'sometimes' as never });
 * } catch (error) {
 *   if (error instanceof EnrichbaseApiError && error.status === 422)
 *     for (const issue of error.issues) console.error(issue.loc.join('.'), issue.msg);
 * }
 */
export class EnrichbaseApiError extends Error {
  override readonly name = 'EnrichbaseApiError';

  constructor(
    readonly status: number,
    readonly detail: string | ValidationIssue[],
    readonly request: { method: string; url: string },
    /** The server's `Retry-After`, in milliseconds, when it sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(`${request.method} ${request.url} answered ${status}: ${describe(detail)}`);
  }

  /** The 422 problems; empty for any other answer. */
  get issues(): ValidationIssue[] {
    return typeof this.detail === 'string' ? [] : this.detail;
  }
}

/** The server could not be reached (or the connection broke) on every attempt; `cause` is fetch's error. */
export class EnrichbaseNetworkError extends Error {
  override readonly name = 'EnrichbaseNetworkError';

  constructor(
    readonly request: { method: string; url: string },
    options: { cause: unknown },
  ) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`${request.method} ${request.url} failed: ${reason}`, options);
  }
}

function describe(detail: string | ValidationIssue[]): string {
  if (typeof detail === 'string') return detail;
  return detail.map((issue) => `${issue.loc.join('.')}: ${issue.msg}`).join('; ');
}

/** Reads an error response into an `EnrichbaseApiError`, whatever its body holds. */
export async function errorFromResponse(
  response: Response,
  request: { method: string; url: string },
  retryAfterMs: number | undefined,
): Promise<EnrichbaseApiError> {
  const text = await response.text().catch(() => '');
  let detail: string | ValidationIssue[] = text.trim() || `${response.status} ${response.statusText}`.trim();
  try {
    const body = JSON.parse(text) as { detail?: unknown };
    if (typeof body.detail === 'string') detail = body.detail;
    else if (Array.isArray(body.detail)) detail = body.detail as ValidationIssue[];
  } catch {
    // Not JSON (a proxy's HTML page, say): keep the text.
  }
  return new EnrichbaseApiError(response.status, detail, request, retryAfterMs);
}
