import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError, validationFailed } from './errors.ts';

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Makes every JSON body safe for the validators behind it: too large → 413, not JSON → 415,
 * malformed → 422 `json_invalid` (as FastAPI words it), empty → `null` (so a required body reports
 * "Field required" and an optional one takes its defaults). Never a 500, never a stack trace.
 * Paths matching `streamed` take other bodies (a CSV upload) and read them as a stream, unlimited.
 */
export function jsonBodies(maxBytes: number, streamed?: RegExp): MiddlewareHandler[] {
  const limited = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError(
        413,
        `Request body too large: the limit is ${Math.floor(maxBytes / (1024 * 1024))} MB`,
      );
    },
  });
  const limit: MiddlewareHandler = (c, next) => (streamed?.test(c.req.path) ? next() : limited(c, next));
  const parse: MiddlewareHandler = async (c, next) => {
    if (!BODY_METHODS.has(c.req.method) || streamed?.test(c.req.path)) return next();
    const contentType = c.req.header('content-type');
    const mediaType = contentType?.split(';')[0]?.trim() ?? '';
    const text = await c.req.text();
    if (text.trim() === '') {
      // Hono caches the body text as a promise; later readers (the validators) see `null`.
      (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve('null');
      // Validators only read bodies declared as JSON; an empty body needs no declaration.
      if (!JSON_MEDIA_TYPE.test(mediaType)) c.req.raw.headers.set('content-type', 'application/json');
      return next();
    }
    if (!JSON_MEDIA_TYPE.test(mediaType)) {
      throw new ApiError(
        415,
        `Unsupported Content-Type '${mediaType || '(none)'}': send a JSON body with Content-Type: application/json`,
      );
    }
    try {
      JSON.parse(text);
    } catch (error) {
      const position = /position (\d+)/.exec((error as Error).message)?.[1];
      throw validationFailed([
        {
          loc: ['body', position === undefined ? 0 : Number(position)],
          msg: 'JSON decode error',
          type: 'json_invalid',
        },
      ]);
    }
    return next();
  };
  return [limit, parse];
}
