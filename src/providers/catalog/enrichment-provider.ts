import type { ParamSourceSchema } from '../../domain/columns.ts';
import { meetsRunCondition } from '../../domain/formula.ts';
import { normalizeAnswer } from '../../domain/output-formats.ts';
import type { CellValue } from '../../domain/model.ts';
import { isEmptyValue } from '../../domain/rows.ts';
import type {
  ExecuteContext,
  PreparedCall,
  Provider,
  ProviderError,
  ProviderRequest,
  ProviderResult,
} from '../../engine/ports.ts';
import type { AddressPolicy } from '../http/address-guard.ts';
import type { Catalog } from './catalog.ts';
import { connectorDefinition } from './custom-connector.ts';
import type {
  ConnectorContext,
  ConnectorResult,
  EnrichmentDefinition,
  WaterfallDefinition,
} from './types.ts';
import type { z } from 'zod';

type ParamSource = z.output<typeof ParamSourceSchema>;

/** A vendor key for a workspace (decrypted), or undefined when none is configured. */
export type CredentialLookup = (workspaceId: string, provider: string) => Promise<string | undefined>;

export interface EnrichmentProviderDeps {
  catalog: Catalog;
  credentials: CredentialLookup;
  addressPolicy: AddressPolicy;
  /** Base URL overrides per provider (proxies, tests). */
  baseUrls?: Record<string, string>;
}

/** One step of a waterfall, kept on the cell so people can see what was tried and what it cost. */
export interface WaterfallStep {
  enrichment_id: number;
  provider: string;
  result: Record<string, unknown> | null;
  cost: number;
  is_verified: boolean | null;
  error?: string;
}

function resolveParams(
  mapping: Record<string, ParamSource>,
  values: Record<string, unknown>,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(mapping).map(([param, source]) => [
      param,
      source.type === 'mapping' ? values[source.column] : source.value,
    ]),
  );
}

function missingRequired(definition: EnrichmentDefinition, params: Record<string, unknown>): string[] {
  return definition.params
    .filter((param) => param.is_required && isEmptyValue(params[param.name]))
    .map((param) => param.name);
}

/** The checks before any call: run condition (free skip), then required inputs. */
function gate(
  runIf: string | null,
  values: Record<string, unknown>,
  missing: string[],
): Extract<PreparedCall, { kind: 'skip' }> | undefined {
  if (runIf && !meetsRunCondition(runIf, values)) {
    return {
      kind: 'skip',
      reason: 'condition_not_met',
      message: `The row does not meet the run condition: ${runIf}`,
    };
  }
  if (missing.length > 0) {
    return {
      kind: 'skip',
      reason: 'missing_input',
      message: `No value for the required input ${missing.join(', ')} in this row`,
    };
  }
  return undefined;
}

/** What running one catalog enrichment needs: the vendor keys, their base URLs, the address guard. */
export type StepDeps = Pick<EnrichmentProviderDeps, 'credentials' | 'addressPolicy' | 'baseUrls'>;

/** One call of a catalog enrichment; `apiKey` when the caller has already looked the key up. */
async function runStep(
  deps: StepDeps,
  definition: EnrichmentDefinition,
  params: Record<string, unknown>,
  workspaceId: string,
  execution: ExecuteContext,
  apiKey?: string,
): Promise<ConnectorResult> {
  const context: ConnectorContext = {
    apiKey:
      definition.auth_method === 'api_key'
        ? (apiKey ?? (await deps.credentials(workspaceId, definition.provider)))
        : undefined,
    baseUrl: deps.baseUrls?.[definition.provider] ?? definition.baseUrl ?? '',
    addressPolicy: deps.addressPolicy,
    signal: execution.signal,
    limited: execution.limited,
  };
  try {
    return await definition.run(params, context);
  } catch (error) {
    return {
      ok: false,
      error: { kind: 'retryable', message: `${definition.name} failed: ${(error as Error).message}` },
    };
  }
}

/**
 * One catalog enrichment called inside another provider's call (a waterfall step, the people
 * finder's vendor), under the vendor's own limiter, shared with that vendor's columns.
 */
export function runVendorStep(
  deps: StepDeps,
  definition: EnrichmentDefinition,
  params: Record<string, unknown>,
  workspaceId: string,
  execution: ExecuteContext,
  apiKey?: string,
): Promise<ConnectorResult> {
  return execution.limited(`vendor:${definition.provider}`, definition.limits, () =>
    runStep(deps, definition, params, workspaceId, execution, apiKey),
  );
}

/** `enrichment` columns: one catalog enrichment per row; the answer is its result object (null when nothing was found). */
export function createEnrichmentProvider(deps: EnrichmentProviderDeps): Provider {
  return {
    name: 'enrichment',
    prepare(request: ProviderRequest): PreparedCall {
      const config = request.column.config;
      if (config.kind !== 'enrichment')
        return { kind: 'fail', error: { kind: 'non_retryable', message: 'not an enrichment column' } };
      // A custom connector runs from the snapshot its column keeps: no lookup, on any worker.
      const definition = config.value.connector
        ? connectorDefinition(config.value.connector)
        : deps.catalog.enrichment(config.value.enrichment_id);
      if (!definition) {
        return {
          kind: 'fail',
          error: {
            kind: 'non_retryable',
            message: `Enrichment ${config.value.enrichment_id} is not in this server's catalog`,
          },
        };
      }
      const params = resolveParams(config.value.mapping, request.values);
      // Formulas and AI prompts read the whole row (their `{column}` references), not only mapped params.
      if (definition.slug === 'formula' || definition.provider === 'llm') params.row = request.values;
      if (definition.provider === 'llm') params.workspace = request.workspaceId;
      const skip = gate(config.value.run_if, request.values, missingRequired(definition, params));
      if (skip) return skip;
      return {
        kind: 'call',
        limiterKey: `vendor:${definition.provider}`,
        limits: definition.limits,
        cacheKey: definition.cacheable === false ? undefined : JSON.stringify([definition.id, params]),
        execute: async (execution): Promise<ProviderResult> => {
          const result = await runStep(deps, definition, params, request.workspaceId, execution);
          if (!result.ok) return { ok: false, error: result.error };
          if (!result.data)
            return {
              ok: true,
              value: { answer: null, explanation: `${definition.data_source} found no data` },
              cost: 0,
            };
          return { ok: true, value: { answer: result.data }, cost: result.cost ?? definition.price };
        },
      };
    },
  };
}

/**
 * `waterfall` columns: steps in order; the first valid result (verified, when a verifier is set) wins.
 * A step that finds nothing costs nothing; a vendor down or out of quota is passed over, with the reason
 * in the trace. The cell's cost is what its charged steps cost.
 */
export function createWaterfallProvider(deps: EnrichmentProviderDeps): Provider {
  return {
    name: 'waterfall',
    prepare(request: ProviderRequest): PreparedCall {
      const config = request.column.config;
      if (config.kind !== 'waterfall')
        return { kind: 'fail', error: { kind: 'non_retryable', message: 'not a waterfall column' } };
      const shape = deps.catalog.waterfall(config.value.waterfall);
      if (!shape)
        return {
          kind: 'fail',
          error: {
            kind: 'non_retryable',
            message: `Waterfall '${config.value.waterfall}' is not in this server's catalog`,
          },
        };
      const params = resolveParams(config.value.mapping, request.values);
      const skip = gate(
        config.value.run_if,
        request.values,
        Object.values(params).every(isEmptyValue) ? Object.keys(params) : [],
      );
      if (skip) return skip;
      return {
        kind: 'call',
        limiterKey: `waterfall:${shape.identifier}`,
        cacheKey: JSON.stringify([
          'waterfall',
          shape.identifier,
          config.value.enrichments,
          config.value.email_verifier,
          params,
        ]),
        execute: (execution) =>
          runWaterfall(deps, {
            shape,
            stepIds: config.value.enrichments,
            verifierId: config.value.email_verifier,
            params,
            workspaceId: request.workspaceId,
            execution,
          }),
      };
    },
  };
}

interface WaterfallRun {
  shape: WaterfallDefinition;
  stepIds: number[];
  verifierId: number | null;
  params: Record<string, unknown>;
  workspaceId: string;
  execution: ExecuteContext;
}

/**
 * Runs a waterfall's steps in order: the first valid result (verified, when a verifier is set) wins.
 * A step that finds nothing costs nothing; a vendor down or out of quota is passed over, with the
 * reason in the trace. The cost is what the charged steps cost.
 */
async function runWaterfall(deps: EnrichmentProviderDeps, run: WaterfallRun): Promise<ProviderResult> {
  const { shape, params, workspaceId, execution } = run;
  const verifier = run.verifierId === null ? undefined : deps.catalog.enrichment(run.verifierId);
  const trace: WaterfallStep[] = [];
  let winner: Record<string, unknown> | null = null;
  for (const id of run.stepIds) {
    const definition = deps.catalog.enrichment(id);
    if (!definition) {
      trace.push({
        enrichment_id: id,
        provider: 'unknown',
        result: null,
        cost: 0,
        is_verified: null,
        error: 'not in the catalog',
      });
      continue;
    }
    const missing = missingRequired(definition, params);
    if (missing.length > 0) {
      trace.push({
        enrichment_id: id,
        provider: definition.provider,
        result: null,
        cost: 0,
        is_verified: null,
        error: `needs ${missing.join(', ')}`,
      });
      continue;
    }
    // Each step waits for its vendor's own limits, shared with that vendor's columns.
    const result = await runVendorStep(deps, definition, params, workspaceId, execution);
    if (!result.ok) {
      trace.push({
        enrichment_id: id,
        provider: definition.provider,
        result: null,
        cost: 0,
        is_verified: null,
        error: describe(result.error),
      });
      continue;
    }
    const data = result.data;
    const step: WaterfallStep = {
      enrichment_id: id,
      provider: definition.provider,
      result: data,
      cost: data ? (result.cost ?? definition.price) : 0,
      is_verified: null,
    };
    trace.push(step);
    const value = data?.[shape.key_field];
    if (isEmptyValue(value)) continue;
    if (verifier && shape.key_field === 'email') {
      const check = await runVendorStep(deps, verifier, { email: value }, workspaceId, execution);
      step.cost += check.ok && check.data ? (check.cost ?? verifier.price) : 0;
      step.is_verified = check.ok && check.data ? isDeliverable(check.data) : false;
      if (!step.is_verified) continue;
    }
    winner = data;
    break;
  }
  const cost = trace.reduce((sum, step) => sum + step.cost, 0);
  if (!winner && trace.length > 0 && trace.every((step) => step.error !== undefined)) {
    return {
      ok: false,
      error: {
        kind: 'non_retryable',
        message: `Every step failed: ${trace.map((step) => `${step.provider}: ${step.error}`).join('; ')}`,
      },
      cost,
    };
  }
  const value: CellValue & { steps: WaterfallStep[] } = {
    answer: winner,
    steps: trace,
    explanation: winner
      ? `Found by ${trace.at(-1)!.provider}`
      : `No provider found ${shape.key_field === 'email' ? 'an email' : `a ${shape.key_field}`}`,
  };
  return { ok: true, value, cost };
}

/** Conventional row keys a finder column reads its inputs from (Extruct people and company tables). */
const FINDER_INPUTS: Record<string, string[]> = {
  full_name: ['full_name', 'name'],
  first_name: ['first_name'],
  last_name: ['last_name'],
  domain: ['domain', 'company_website', 'website', 'company_domain'],
  company: ['company_name', 'company'],
  linkedin_url: ['profile_url', 'linkedin_url', 'linkedin'],
  email: ['email', 'work_email'],
};

function finderParams(values: Record<string, unknown>): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [param, keys] of Object.entries(FINDER_INPUTS)) {
    const key = keys.find((candidate) => !isEmptyValue(values[candidate]));
    if (key) params[param] = values[key];
  }
  if (typeof params.domain === 'string')
    params.domain = params.domain
      .replace(/^https?:\/\//i, '')
      .replace(/^www\./i, '')
      .replace(/\/.*$/, '');
  if (!params.first_name && typeof params.full_name === 'string') {
    const words = params.full_name.trim().split(/\s+/);
    if (words.length > 1) {
      params.first_name = words[0];
      params.last_name = words.at(-1);
    }
  }
  return params;
}

/** Company keys a people row may take from its parent company row when it has none of its own. */
const PARENT_COMPANY_KEYS = ['company_website', 'company_name', 'domain', 'website', 'company_domain'];

/** The row's values, with the company's website and name from the parent row where the row has none. */
function withParentCompany(
  values: Record<string, unknown>,
  parent: Record<string, unknown> | undefined,
): Record<string, unknown> {
  if (!parent) return values;
  const merged = { ...values };
  for (const key of PARENT_COMPANY_KEYS) {
    if (isEmptyValue(merged[key]) && !isEmptyValue(parent[key])) merged[key] = parent[key];
  }
  return merged;
}

/**
 * Extruct's `email_finder` and `phone_finder` columns: the default waterfall over the vendors this
 * workspace has keys for, reading the person from the row's conventional keys (full_name, profile_url,
 * company_website …). With no vendor configured, the cell fails at once saying how to add one.
 */
export function createFinderProvider(
  deps: EnrichmentProviderDeps,
  kind: 'email_finder' | 'phone_finder',
): Provider {
  return {
    name: kind,
    prepare(request: ProviderRequest): PreparedCall {
      const shape = deps.catalog.waterfall(kind);
      if (!shape)
        return {
          kind: 'fail',
          error: { kind: 'non_retryable', message: `No ${kind} waterfall in this server's catalog` },
        };
      const params = finderParams(withParentCompany(request.values, request.parentValues));
      const hasPerson = Boolean(params.linkedin_url || (params.full_name ?? params.first_name));
      if (!hasPerson) {
        return {
          kind: 'skip',
          reason: 'missing_input',
          message: 'The row has no person to look up (full_name or profile_url)',
        };
      }
      return {
        kind: 'call',
        limiterKey: `waterfall:${kind}`,
        cacheKey: JSON.stringify(['finder', kind, params]),
        execute: async (execution) => {
          const configured: number[] = [];
          for (const id of shape.available_enrichments) {
            const definition = deps.catalog.enrichment(id);
            if (definition && (await deps.credentials(request.workspaceId, definition.provider)))
              configured.push(id);
          }
          if (configured.length === 0) {
            const providers = [
              ...new Set(
                shape.available_enrichments
                  .map((id) => deps.catalog.enrichment(id)?.provider)
                  .filter(Boolean),
              ),
            ];
            return {
              ok: false,
              error: {
                kind: 'non_retryable',
                message: `No ${kind.replace('_', ' ')} vendor is configured: add a key with PUT /v1/connections/<provider> (one of ${providers.join(', ')}) or set e.g. ${String(providers[0]).toUpperCase()}_API_KEY`,
              },
            };
          }
          const result = await runWaterfall(deps, {
            shape,
            stepIds: configured,
            verifierId: null,
            params,
            workspaceId: request.workspaceId,
            execution,
          });
          return kind === 'phone_finder' ? withE164Phone(result) : result;
        },
      };
    },
  };
}

/** Vendors write phone numbers their own way; a phone_finder answers them in E.164. */
function withE164Phone(result: ProviderResult): ProviderResult {
  if (!result.ok) return result;
  const answer = result.value.answer;
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) return result;
  const phone = (answer as Record<string, unknown>).phone;
  if (typeof phone !== 'string') return result;
  const normalized = normalizeAnswer('phone', phone);
  if (!normalized.ok || typeof normalized.answer !== 'string') return result;
  return { ...result, value: { ...result.value, answer: { ...answer, phone: normalized.answer } } };
}

/** Verifier results vary by vendor: a boolean `is_valid`, or a status saying the address delivers. */
function isDeliverable(data: Record<string, unknown>): boolean {
  if (typeof data.is_valid === 'boolean') return data.is_valid;
  const raw = data.status ?? data.result;
  const status = typeof raw === 'string' ? raw.toLowerCase() : '';
  return status === 'valid' || status === 'deliverable';
}

function describe(error: ProviderError): string {
  switch (error.kind) {
    case 'auth':
      return `unavailable (${error.message})`;
    case 'rate_limited':
      return 'rate limited';
    case 'retryable':
      return `down (${error.message})`;
    case 'non_retryable':
      return error.message;
  }
}

/** `enrichment_field` columns: one field of an enrichment's or waterfall's result, computed in process. */
export function createFieldProvider(): Provider {
  return {
    name: 'enrichment_field',
    prepare(request: ProviderRequest): PreparedCall {
      const config = request.column.config;
      if (config.kind !== 'enrichment_field')
        return { kind: 'fail', error: { kind: 'non_retryable', message: 'not a field column' } };
      const source = request.values[config.value.source];
      const answer =
        source !== null && typeof source === 'object' && !Array.isArray(source)
          ? ((source as Record<string, unknown>)[config.value.field] ?? null)
          : null;
      return {
        kind: 'call',
        limiterKey: 'enrichment_field',
        execute: () => Promise.resolve({ ok: true, value: { answer } }),
      };
    },
  };
}
