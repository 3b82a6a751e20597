import { OpenAPIHono, type Hook } from '@hono/zod-openapi';
import type { Env } from 'hono';
import type { Logger } from 'pino';
import type { AuthEnv } from './auth.ts';
import { createErrorHandler, validationFailed, type ErrorWording } from './errors.ts';
import { zodErrorToDetails, type LocRoot } from './validation.ts';

const LOC_ROOTS: Record<string, LocRoot> = { json: 'body', query: 'query', param: 'path', header: 'header' };

/** Every failed validation becomes FastAPI's 422, whichever part of the request it was in. */
const validationHook: Hook<unknown, Env, string, unknown> = (result) => {
  if (!result.success) {
    const root = LOC_ROOTS[result.target as string] ?? 'body';
    // zod-validator hands the raw input along; it tells a missing field from a wrong one.
    const input = (result as { data?: unknown }).data;
    throw validationFailed(zodErrorToDetails(result.error, root, input));
  }
};

/** An app for one API dialect: its own error wording, the shared 422 hook. */
export function createDialectApp(wording: ErrorWording, logger: Logger): OpenAPIHono<AuthEnv> {
  const app = new OpenAPIHono<AuthEnv>({ defaultHook: validationHook as never });
  app.onError(createErrorHandler(wording, logger));
  return app;
}
