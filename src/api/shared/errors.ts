import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';
import { NotFoundError, ValidationError, type EntityName } from '../../domain/errors.ts';
import type { ValidationDetail } from './validation.ts';

/**
 * Errors the HTTP layer throws; rendered once, by the dialect's error handler. No handler builds an
 * error body by hand.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: ContentfulStatusCode,
    readonly detail: string | ValidationDetail[],
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof detail === 'string' ? detail : 'validation failed');
  }
}

export function validationFailed(details: ValidationDetail[]): ApiError {
  return new ApiError(422, details);
}

/** How a dialect words its errors: Extruct names what was not found, Databar says `Not found`. */
export interface ErrorWording {
  notFound(entity: EntityName): string;
}

/** One error handler per dialect: domain errors, HTTP errors and the unexpected, all as `{detail}`. */
export function createErrorHandler(wording: ErrorWording, logger: Logger): ErrorHandler {
  return (error: Error, c: Context) => {
    if (error instanceof ApiError) {
      return c.json({ detail: error.detail }, error.status, error.headers);
    }
    if (error instanceof NotFoundError) {
      return c.json({ detail: wording.notFound(error.entity) }, 404);
    }
    if (error instanceof ValidationError) {
      const detail: ValidationDetail[] = error.issues.map((issue) => ({
        loc: [issue.in ?? 'body', ...issue.path],
        msg: issue.message,
        type: issue.type,
      }));
      return c.json({ detail }, 422);
    }
    if (error instanceof HTTPException) {
      const status = error.status;
      return c.json({ detail: error.message || 'Request failed' }, status);
    }
    logger.error({ err: error, method: c.req.method, path: c.req.path }, 'request failed');
    return c.json({ detail: 'Internal server error' }, 500);
  };
}
