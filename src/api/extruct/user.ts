import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { AuthEnv } from '../shared/auth.ts';
import { json, SECURITY, UNAUTHORIZED } from './responses.ts';
import { UserOutputSchema } from './schemas.ts';

/** Self-hosted Enrichbase meters cost, not credits: report a balance no script will run out of. */
export const UNMETERED_CREDITS = 1_000_000_000;

const getUser = createRoute({
  method: 'get',
  path: '/v1/user',
  tags: ['user'],
  summary: 'Get Extruct User',
  description: "The owner of the API key's workspace. Credits are not metered on a self-hosted server.",
  security: SECURITY,
  responses: { 200: json(UserOutputSchema), ...UNAUTHORIZED },
});

function slugOf(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'workspace'
  );
}

export function registerUserRoutes(app: OpenAPIHono<AuthEnv>): void {
  app.openapi(getUser, (c) => {
    const workspace = c.get('workspace');
    return c.json(
      {
        user_id: workspace.ownerId,
        email: workspace.ownerEmail,
        available_credits: UNMETERED_CREDITS,
        organization_id: workspace.id,
        organization_name: workspace.name,
        organization_slug: slugOf(workspace.name),
      },
      200,
    );
  });
}
