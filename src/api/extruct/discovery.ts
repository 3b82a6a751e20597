import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { DiscoveryProgress, DiscoveryResult, DiscoveryService } from '../../engine/discovery.ts';
import type { Store } from '../../engine/ports.ts';
import { bearerAuth, type AuthEnv } from '../shared/auth.ts';
import { INVALID, json, jsonBody, NOT_FOUND, SECURITY, UNAUTHORIZED } from './responses.ts';
import {
  DataQuerySchema,
  type DiscoveryResultSchema,
  DiscoveryResultsOutputSchema,
  DiscoveryTaskInputSchema,
  DiscoveryTaskOutputSchema,
  UuidSchema,
} from './schemas.ts';

/** ext (issue 9): discovery tasks, in the Extruct dialect's style (snake_case, `{items}` pages). */

const TaskIdParamsSchema = z.object({
  task_id: UuidSchema.meta({ param: { name: 'task_id', in: 'path' }, description: 'Discovery task ID.' }),
});

const createTask = createRoute({
  method: 'post',
  path: '/v1/discovery_tasks',
  tags: ['discovery'],
  summary: 'Create Discovery Task (ext)',
  description:
    'Searches the web for companies matching the query, builds a company table of them and grades each on every criterion (1–5). Answers at once; poll GET /v1/discovery_tasks/{task_id}.',
  security: SECURITY,
  request: { body: jsonBody(DiscoveryTaskInputSchema) },
  responses: { 200: json(DiscoveryTaskOutputSchema), ...UNAUTHORIZED, ...INVALID },
});

const getTask = createRoute({
  method: 'get',
  path: '/v1/discovery_tasks/{task_id}',
  tags: ['discovery'],
  summary: 'Get Discovery Task (ext)',
  security: SECURITY,
  request: { params: TaskIdParamsSchema },
  responses: { 200: json(DiscoveryTaskOutputSchema), ...UNAUTHORIZED, ...NOT_FOUND, ...INVALID },
});

const getResults = createRoute({
  method: 'get',
  path: '/v1/discovery_tasks/{task_id}/results',
  tags: ['discovery'],
  summary: 'Get Discovery Results (ext)',
  description: 'The companies found, most relevant first (mean grade); ungraded ones last.',
  security: SECURITY,
  request: { params: TaskIdParamsSchema, query: DataQuerySchema },
  responses: { 200: json(DiscoveryResultsOutputSchema), ...UNAUTHORIZED, ...NOT_FOUND, ...INVALID },
});

function taskOutput(progress: DiscoveryProgress): z.infer<typeof DiscoveryTaskOutputSchema> {
  const { task } = progress;
  return {
    id: task.id,
    created_at: task.createdAt,
    updated_at: task.updatedAt,
    status: task.status,
    query: task.query,
    desired_num_results: task.desiredNumResults,
    criteria: task.criteria,
    exclude_domains: task.excludeDomains,
    table_id: task.tableId,
    num_results: task.numCandidates,
    num_graded: progress.numGraded,
    num_in_progress: progress.numInProgress,
    num_failed: progress.numFailed,
    exhausted: task.exhausted,
    reason: task.reason,
  };
}

function resultOutput(result: DiscoveryResult): z.infer<typeof DiscoveryResultSchema> {
  return {
    row_id: result.rowId,
    domain: result.domain,
    company_name: result.companyName,
    company_website: result.companyWebsite,
    relevance: result.relevance,
    scores: result.scores,
    status: result.status,
  };
}

export function registerDiscoveryRoutes(
  app: OpenAPIHono<AuthEnv>,
  store: Store,
  discovery: DiscoveryService,
): void {
  const auth = bearerAuth(store);
  app.use('/v1/discovery_tasks', auth);
  app.use('/v1/discovery_tasks/*', auth);

  app.openapi(createTask, async (c) => {
    const body = c.req.valid('json');
    const workspaceId = c.get('workspace').id;
    const task = await discovery.create(workspaceId, {
      query: body.query,
      desiredNumResults: body.desired_num_results,
      criteria: body.criteria ?? null,
      excludeDomains: [...new Set(body.exclude_domains)],
    });
    return c.json(taskOutput({ task, numGraded: 0, numFailed: 0, numInProgress: 0 }), 200);
  });

  app.openapi(getTask, async (c) => {
    const { task_id: taskId } = c.req.valid('param');
    return c.json(taskOutput(await discovery.get(c.get('workspace').id, taskId)), 200);
  });

  app.openapi(getResults, async (c) => {
    const { task_id: taskId } = c.req.valid('param');
    const page = c.req.valid('query');
    const workspaceId = c.get('workspace').id;
    const progress = await discovery.get(workspaceId, taskId);
    const { items, total } = await discovery.results(workspaceId, taskId, page);
    return c.json(
      {
        task: taskOutput(progress),
        items: items.map(resultOutput),
        offset: page.offset,
        limit: page.limit,
        total,
      },
      200,
    );
  });
}
