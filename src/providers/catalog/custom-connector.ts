import type { ConnectorSnapshot } from '../../domain/connectors.ts';
import { renderTemplate } from '../../domain/templates.ts';
import { readAnswer } from '../http/answer.ts';
import { httpRequest } from '../http/client.ts';
import { extractPath } from '../http/extract.ts';
import { renderBody, renderUrl } from '../http/render.ts';
import { scrub } from './vendors/shared.ts';
import type { ConnectorContext, ConnectorResult, EnrichmentDefinition } from './types.ts';

/** The provider name of a custom connector: its credentials (headers) and rate limits are its own. */
export function connectorProvider(catalogId: number): string {
  return `connector:${catalogId}`;
}

/**
 * A custom connector as a catalog enrichment: its params, response fields, limits and one HTTP call
 * through the guarded client. The header templates arrive decrypted in `context.apiKey` (as JSON):
 * the engine's credential lookup reads them for `connector:<id>` just for the call. A 404 is "no
 * match" (no data, no cost); the answer is the JSON body, or its response fields by path.
 */
export function connectorDefinition(connector: ConnectorSnapshot): EnrichmentDefinition {
  const provider = connectorProvider(connector.id);
  return {
    id: connector.id,
    slug: `connector_${connector.id}`,
    name: connector.name,
    description: connector.description || `${connector.method} ${connector.url}`,
    provider,
    data_source: connector.name,
    category: ['custom'],
    auth_method: connector.header_names.length > 0 ? 'api_key' : 'no_auth',
    price: connector.price,
    pricing: { type: connector.price > 0 ? 'per_result' : 'free' },
    params: connector.parameters.map((param) => ({
      name: param.name,
      is_required: param.is_required,
      type_field: param.type_field,
      description: param.description,
    })),
    response_fields: connector.response_fields.map((field) => ({
      name: field.name,
      display_name: field.display_name ?? field.name,
      type_field: field.type_field,
    })),
    limits: {
      maxConcurrency: connector.max_concurrency ?? undefined,
      requestsPerMinute: connector.rate_limit ?? undefined,
    },
    // Params may name anything the connector's API does: identical params are identical calls only for reads.
    cacheable: connector.method === 'GET',
    run: (params, context) => callConnector(connector, params, context),
  };
}

async function callConnector(
  connector: ConnectorSnapshot,
  params: Record<string, unknown>,
  context: ConnectorContext,
): Promise<ConnectorResult> {
  let headerTemplates: Record<string, string> = {};
  if (connector.header_names.length > 0) {
    if (!context.apiKey) {
      return {
        ok: false,
        error: {
          kind: 'auth',
          message: `The headers of connector ${connector.id} are gone (was it deleted?): add the connector again`,
        },
      };
    }
    headerTemplates = JSON.parse(context.apiKey) as Record<string, string>;
  }
  const resolve = (key: string) => params[key];
  const headers = Object.fromEntries(
    Object.entries(headerTemplates).map(([name, template]) => [name, renderTemplate(template, resolve)]),
  );
  // Secrets are in header values: none may leak through an error message.
  const secrets = Object.values(headers).filter((value) => value.length >= 8);
  const clean = (text: string) => secrets.reduce((scrubbed, secret) => scrub(scrubbed, secret), text);
  let body: string | undefined;
  if (connector.body_template !== null) {
    const rendered = renderBody(connector.body_template, resolve);
    body = rendered.body;
    if (rendered.json) headers['content-type'] ??= 'application/json';
  }
  headers.accept ??= 'application/json';
  const result = await httpRequest(context.addressPolicy, {
    method: connector.method,
    url: renderUrl(connector.url, resolve),
    headers,
    body,
    timeoutMs: connector.timeout_ms,
    signal: context.signal,
  });
  const read = readAnswer(result, { json: connector.response_fields.length > 0, notFoundIsEmpty: true });
  if (!read.ok) return { ok: false, error: { ...read.error, message: clean(read.error.message) } };
  if (read.answer === null || read.answer === '') return { ok: true, data: null };
  const data =
    connector.response_fields.length > 0
      ? Object.fromEntries(
          connector.response_fields.map((field) => [
            field.name,
            extractPath(read.answer, field.path ?? field.name) ?? null,
          ]),
        )
      : isRecord(read.answer)
        ? read.answer
        : { result: read.answer };
  const found = Object.values(data).some((value) => value !== null && value !== undefined && value !== '');
  return found ? { ok: true, data, cost: connector.price } : { ok: true, data: null };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
