import type { ExecuteContext, ProviderError } from '../../engine/ports.ts';
import type { AddressPolicy } from '../http/address-guard.ts';

/**
 * The enrichment catalog (Databar dialect): enrichments are data — params, response fields, price,
 * provider — plus one function that calls the provider. Built-ins need no key; connectors speak a real
 * vendor's documented API with the workspace's own key.
 */

export type FieldType = 'text' | 'email' | 'url' | 'phone' | 'number' | 'boolean' | 'json' | 'list' | 'date';

export interface EnrichmentParam {
  /** The slug used as the key of `mapping` in add-enrichment. */
  name: string;
  is_required: boolean;
  type_field: FieldType;
  description: string;
}

export interface ResponseField {
  name: string;
  display_name: string;
  type_field: FieldType;
}

export type AuthMethod = 'no_auth' | 'api_key';

export interface ConnectorContext {
  /** The workspace's key for this provider (decrypted just for the call), when the enrichment needs one. */
  apiKey: string | undefined;
  /** Base URL of the vendor API (overridable per provider: proxies, tests). */
  baseUrl: string;
  /** Which addresses outbound calls may reach. */
  addressPolicy: AddressPolicy;
  signal: AbortSignal;
  /** The engine's limiters, for calls a connector makes through another provider (AI enrichments). */
  limited: ExecuteContext['limited'];
}

/**
 * One call's outcome. `data: null` means the vendor answered but found nothing: a legitimate answer
 * that costs nothing and lets a waterfall try the next step.
 */
export type ConnectorResult =
  { ok: true; data: Record<string, unknown> | null; cost?: number } | { ok: false; error: ProviderError };

export interface EnrichmentDefinition {
  id: number;
  /** Stable machine name, e.g. `hunter_email_finder`. */
  slug: string;
  name: string;
  description: string;
  /** The vendor (or `enrichbase` for built-ins): credentials, base URL and rate limits are per provider. */
  provider: string;
  data_source: string;
  category: string[];
  auth_method: AuthMethod;
  /** USD per call that returns data (built-ins: 0). */
  price: number;
  pricing: { type: 'free' | 'per_request' | 'per_result'; parameter?: string };
  params: EnrichmentParam[];
  response_fields: ResponseField[];
  /** Conservative defaults; a workspace may lower them. */
  limits?: { maxConcurrency?: number; requestsPerMinute?: number };
  /** Default API base URL of the provider. */
  baseUrl?: string;
  /** Whether identical params may reuse a cached result (false for anything with side effects). */
  cacheable?: boolean;
  run(params: Record<string, unknown>, context: ConnectorContext): Promise<ConnectorResult>;
}

export interface WaterfallDefinition {
  identifier: string;
  name: string;
  description: string;
  input_params: EnrichmentParam[];
  output_fields: ResponseField[];
  /** Catalog enrichment ids that can be steps, in a sensible default order. */
  available_enrichments: number[];
  /** The output field that makes a step's result "valid data" (e.g. `email`). */
  key_field: string;
}
