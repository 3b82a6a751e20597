import type { z } from '@hono/zod-openapi';
import { ErrorDetailSchema, HTTPValidationErrorSchema } from './schemas.ts';

export function json<T extends z.ZodType>(schema: T, description = 'Successful Response') {
  return { description, content: { 'application/json': { schema } } } as const;
}

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { 'application/json': { schema } } } as const;
}

export const UNAUTHORIZED = {
  401: json(ErrorDetailSchema, 'Missing, malformed or unknown Bearer token'),
} as const;
export const NOT_FOUND = {
  404: json(ErrorDetailSchema, 'Unknown id, or one outside your workspace'),
} as const;
export const INVALID = { 422: json(HTTPValidationErrorSchema, 'Validation Error') } as const;

export const SECURITY = [{ HTTPBearer: [] }];
