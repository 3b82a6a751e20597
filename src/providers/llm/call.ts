import { APICallError, generateObject, jsonSchema, NoObjectGeneratedError, type JSONSchema7 } from 'ai';
import type { ProviderError } from '../../engine/ports.ts';
import { parseRetryAfter } from '../http/client.ts';
import type { ResolvedModel } from './models.ts';

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface StructuredRequest {
  model: ResolvedModel;
  system: string;
  prompt: string;
  schema: Record<string, unknown>;
  maxOutputTokens: number;
  signal: AbortSignal;
}

export type StructuredResult =
  | { ok: true; object: unknown; usage: TokenUsage }
  /** `rawText`: what the model said when it was not the JSON asked for (worth one repair). */
  | { ok: false; error: ProviderError; usage: TokenUsage; rawText?: string };

const NO_USAGE: TokenUsage = { inputTokens: 0, outputTokens: 0 };

/**
 * One structured-output call (JSON schema / forced tool call, whichever the provider supports).
 * The SDK's own retries are off: the engine retries, so its limiter sees every 429.
 */
export async function callStructured(request: StructuredRequest): Promise<StructuredResult> {
  try {
    const result = await generateObject({
      model: request.model.model,
      schema: jsonSchema(request.schema as JSONSchema7),
      system: request.system,
      prompt: request.prompt,
      maxOutputTokens: request.maxOutputTokens,
      maxRetries: 0,
      abortSignal: request.signal,
      // OpenAI's strict mode refuses open objects and optional fields (a user's json output_schema may
      // have them): strict only when the schema allows it; the answer is validated here either way.
      providerOptions: { openaiCompatible: { strictJsonSchema: isStrictSchema(request.schema) } },
    });
    return { ok: true, object: result.object, usage: usageOf(result.usage) };
  } catch (error) {
    return { ok: false, ...describeFailure(error, request.model) };
  }
}

/** Whether every object in the schema is closed with all its properties required (what strict mode demands). */
export function isStrictSchema(schema: unknown): boolean {
  if (Array.isArray(schema)) return schema.every(isStrictSchema);
  if (schema === null || typeof schema !== 'object') return true;
  const node = schema as Record<string, unknown>;
  const properties = node.properties as Record<string, unknown> | undefined;
  const isObject =
    node.type === 'object' ||
    (Array.isArray(node.type) && node.type.includes('object')) ||
    properties !== undefined;
  if (isObject) {
    if (node.additionalProperties !== false) return false;
    const required = new Set(Array.isArray(node.required) ? (node.required as string[]) : []);
    if (Object.keys(properties ?? {}).some((key) => !required.has(key))) return false;
  }
  return Object.entries(node).every(
    ([key, value]) => key === 'required' || key === 'enum' || key === 'const' || isStrictSchema(value),
  );
}

function usageOf(usage: { inputTokens?: number; outputTokens?: number } | undefined): TokenUsage {
  return { inputTokens: usage?.inputTokens ?? 0, outputTokens: usage?.outputTokens ?? 0 };
}

function describeFailure(
  error: unknown,
  model: ResolvedModel,
): { error: ProviderError; usage: TokenUsage; rawText?: string } {
  const who = `${model.vendor} model '${model.modelId}'`;
  if (NoObjectGeneratedError.isInstance(error)) {
    const usage = usageOf(error.usage);
    if (error.finishReason === 'length') {
      return {
        error: { kind: 'non_retryable', message: `The answer of ${who} was cut off at the token limit` },
        usage,
      };
    }
    if (error.finishReason === 'content-filter') {
      return {
        error: { kind: 'non_retryable', message: `${who} refused to answer (content filter)` },
        usage,
      };
    }
    const text = error.text?.trim();
    if (!text) return { error: { kind: 'retryable', message: `${who} returned an empty answer` }, usage };
    return {
      error: { kind: 'non_retryable', message: `${who} did not return valid JSON` },
      usage,
      rawText: text,
    };
  }
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    const message = `${who} answered ${status ?? 'with a network error'}: ${summarize(error)}`;
    if (status === 429) {
      return {
        error: {
          kind: 'rate_limited',
          message,
          retryAfterMs: parseRetryAfter(error.responseHeaders?.['retry-after']),
        },
        usage: NO_USAGE,
      };
    }
    if (status === 401 || status === 403) {
      return {
        error: { kind: 'auth', message: `${who} refused the API key (${status}); check the key's variable` },
        usage: NO_USAGE,
      };
    }
    if (status === undefined || status >= 500 || status === 408 || status === 409 || error.isRetryable) {
      return { error: { kind: 'retryable', message }, usage: NO_USAGE };
    }
    return { error: { kind: 'non_retryable', message }, usage: NO_USAGE };
  }
  if ((error as Error).name === 'AbortError') throw error;
  return {
    error: {
      kind: 'retryable',
      message: `${who} call failed: ${redact((error as Error).message ?? String(error))}`,
    },
    usage: NO_USAGE,
  };
}

/** The vendor's own error text, short, without anything that looks like a credential. */
function summarize(error: APICallError): string {
  let detail = error.message;
  try {
    const body = JSON.parse(error.responseBody ?? '') as {
      error?: { message?: string } | string;
      message?: string;
    };
    detail = (typeof body.error === 'string' ? body.error : body.error?.message) ?? body.message ?? detail;
  } catch {
    // not JSON: keep the SDK's message
  }
  const short = detail.length > 300 ? `${detail.slice(0, 300)}…` : detail;
  return redact(short);
}

export function redact(text: string): string {
  return text.replace(/(sk-[A-Za-z0-9_-]{6})[A-Za-z0-9_-]+/g, '$1…').replace(/(Bearer\s+)\S+/gi, '$1…');
}
