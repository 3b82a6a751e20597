import { z } from '@hono/zod-openapi';
import { NotFoundError } from '../../domain/errors.ts';
import { isUuid } from '../../domain/ids.ts';
import { DetailSchema } from './schemas.ts';
import { HTTPValidationErrorSchema } from '../extruct/schemas.ts';

export const SECURITY = [{ APIKeyHeader: [] }];

export function json<T extends z.ZodType>(schema: T, description = 'Successful Response') {
  return { description, content: { 'application/json': { schema } } } as const;
}

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { 'application/json': { schema } } } as const;
}

export const ERRORS = {
  403: json(DetailSchema, 'Forbidden: `{"detail": "Not allowed"}`'),
  404: json(DetailSchema, 'Not found: `{"detail": "Not found"}`'),
  422: json(HTTPValidationErrorSchema, 'Validation Error'),
} as const;

/** Databar answers a malformed table id as it answers an unknown one: 404. */
export const TableParamsSchema = z.object({
  table_uuid: z
    .string()
    .meta({ param: { name: 'table_uuid', in: 'path' }, description: 'The UUID of the table' }),
});

export function tableIdOf(raw: string): string {
  if (!isUuid(raw)) throw new NotFoundError('table', raw);
  return raw.toLowerCase();
}

/** What every Databar route declares: its tag and the x-apikey security scheme. */
export const DATABAR = { tags: ['Databar'], security: SECURITY };
