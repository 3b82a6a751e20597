import type { MiddlewareHandler } from 'hono';
import type { Workspace } from '../../domain/model.ts';
import type { Store } from '../../engine/ports.ts';
import { hashApiKey } from '../../engine/api-keys.ts';
import { ApiError } from './errors.ts';

export interface AuthEnv {
  Variables: { workspace: Workspace };
}

/** Extruct: `Authorization: Bearer <key>`; anything else is 401 with `{detail}`. */
export function bearerAuth(store: Store): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const challenge = { 'WWW-Authenticate': 'Bearer' };
    if (!match) throw new ApiError(401, 'Not authenticated', challenge);
    const workspace = await store.authenticate(hashApiKey(match[1]!));
    if (!workspace) throw new ApiError(401, 'Invalid or revoked API key', challenge);
    c.set('workspace', workspace);
    await next();
  };
}

/** Databar: `x-apikey: <key>`; anything else is 403 `{"detail": "Not allowed"}`. */
export function apiKeyHeaderAuth(store: Store): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const key = c.req.header('x-apikey')?.trim();
    const workspace = key ? await store.authenticate(hashApiKey(key)) : undefined;
    if (!workspace) throw new ApiError(403, 'Not allowed');
    c.set('workspace', workspace);
    await next();
  };
}
