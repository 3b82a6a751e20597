import path from 'node:path';
import { z } from 'zod';

/**
 * The only reader of process.env. Everything else receives a parsed `Config`.
 * A bad value is reported with the variable's name and an example of a good one.
 */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** `undefined` = embedded SQLite file inside `dataDir`. */
  databaseUrl: string | undefined;
  logLevel: LogLevel;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Whether this process computes cells (else it only serves the API). */
  runWorker: boolean;
  /** How long a claimed cell stays leased without a heartbeat. */
  leaseMs: number;
  /** Attempts per cell before it fails (retryable errors). */
  maxAttempts: number;
  /** http columns may reach private and loopback addresses. */
  httpAllowPrivate: boolean;
  /** Hosts (or host:port) http columns may reach even when private. */
  httpAllowedHosts: string[];
  /** How long identical work reuses a cached result. */
  cacheTtlMs: number;
  llm: LlmConfig;
  search: SearchConfig;
  /** 32 bytes that encrypt vendor keys at rest; unset = a key file in the data directory. */
  secretKey: Buffer | undefined;
  /** Server-wide vendor keys (`HUNTER_API_KEY` → `hunter`), used when a workspace has none of its own. */
  vendorKeys: Record<string, string>;
  /** Vendor API base URLs by provider (a proxy, a sandbox), instead of each vendor's own. */
  vendorBaseUrls: Record<string, string>;
}

/** LLM access: OpenAI-compatible and/or Anthropic, by their conventional variables. Keys never leave this object. */
export interface LlmConfig {
  openai: { apiKey: string; baseUrl: string; structuredOutputs: boolean } | undefined;
  anthropic: { apiKey: string; baseUrl: string } | undefined;
  /** Model per agent type, when set (else the provider's documented default). */
  models: { llm?: string; research?: string; research_pro?: string; research_reasoning?: string };
  maxConcurrency: number;
  requestsPerMinute: number | undefined;
  tokensPerMinute: number | undefined;
}

export interface SearchConfig {
  searxngUrl: string | undefined;
  braveApiKey: string | undefined;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

interface VariableSpec<T> {
  schema: z.ZodType<T>;
  example: string;
  description: string;
  /** Never echoed, not even in an error message. */
  secret?: boolean;
}

const portSchema = z.coerce.number().int().min(0).max(65535);

const VARIABLES = {
  PORT: {
    schema: portSchema.default(3000),
    example: '3000',
    description: 'TCP port of the HTTP server (API and UI)',
  },
  HOST: {
    schema: z.string().min(1).default('0.0.0.0'),
    example: '127.0.0.1',
    description: 'interface the HTTP server listens on',
  },
  ENRICHBASE_DATA_DIR: {
    schema: z.string().min(1).default('./data'),
    example: './data',
    description: 'directory of the embedded SQLite database',
  },
  DATABASE_URL: {
    schema: z
      .string()
      .regex(/^postgres(ql)?:\/\/.+/, 'must be a postgres:// URL (leave unset for embedded SQLite)')
      .optional(),
    example: 'postgres://postgres@127.0.0.1:5432/enrichbase',
    description: 'PostgreSQL connection URL; unset = SQLite in the data directory',
  },
  LOG_LEVEL: {
    schema: z.enum(LOG_LEVELS).default('info'),
    example: 'info',
    description: `log level (${LOG_LEVELS.join(', ')})`,
  },
  ENRICHBASE_MAX_BODY_MB: {
    schema: z.coerce.number().positive().max(1024).default(10),
    example: '10',
    description: 'largest accepted request body, in megabytes',
  },
  ENRICHBASE_WORKER: {
    schema: z.stringbool().default(true),
    example: 'true',
    description: 'compute cells in this process (false: API only; run `enrichbase worker` elsewhere)',
  },
  ENRICHBASE_LEASE_MS: {
    schema: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
    example: '30000',
    description: "lease of a claimed cell without heartbeat, in ms (a dead worker's cells return after this)",
  },
  ENRICHBASE_MAX_ATTEMPTS: {
    schema: z.coerce.number().int().min(1).max(20).default(3),
    example: '3',
    description: 'attempts per cell on retryable provider errors',
  },
  ENRICHBASE_CACHE_TTL_DAYS: {
    schema: z.coerce.number().min(0).max(3650).default(30),
    example: '30',
    description: 'days a result is reused for identical work (0 = no reuse; mode all always recomputes)',
  },
  OPENAI_API_KEY: {
    secret: true,
    schema: z.string().min(1).optional(),
    example: 'sk-…',
    description:
      'key for OpenAI or any OpenAI-compatible server (OpenRouter, Groq, Together, vLLM, Ollama: any non-empty value)',
  },
  OPENAI_BASE_URL: {
    schema: z.url({ protocol: /^https?$/ }).default('https://api.openai.com/v1'),
    example: 'http://127.0.0.1:11434/v1',
    description: 'base URL of the OpenAI-compatible API',
  },
  OPENAI_STRUCTURED_OUTPUTS: {
    schema: z.stringbool().default(true),
    example: 'true',
    description: 'the server supports `response_format: json_schema` (false: JSON mode plus validation)',
  },
  ANTHROPIC_API_KEY: {
    secret: true,
    schema: z.string().min(1).optional(),
    example: 'sk-ant-…',
    description: 'key for the Anthropic Messages API',
  },
  ANTHROPIC_BASE_URL: {
    schema: z.url({ protocol: /^https?$/ }).default('https://api.anthropic.com/v1'),
    example: 'https://api.anthropic.com/v1',
    description: 'base URL of the Anthropic API',
  },
  ENRICHBASE_MODEL_LLM: {
    schema: z.string().min(1).optional(),
    example: 'gpt-4.1-mini',
    description: 'model of `llm` agent columns',
  },
  ENRICHBASE_MODEL_RESEARCH: {
    schema: z.string().min(1).optional(),
    example: 'gpt-4.1-mini',
    description: 'model of `research` agent columns',
  },
  ENRICHBASE_MODEL_RESEARCH_PRO: {
    schema: z.string().min(1).optional(),
    example: 'gpt-4.1',
    description: 'model of `research_pro` agent columns (the default type)',
  },
  ENRICHBASE_MODEL_RESEARCH_REASONING: {
    schema: z.string().min(1).optional(),
    example: 'o4-mini',
    description: 'model of `research_reasoning` agent columns',
  },
  ENRICHBASE_LLM_MAX_CONCURRENCY: {
    schema: z.coerce.number().int().min(1).max(1000).default(16),
    example: '16',
    description: 'LLM calls in flight at once, per model',
  },
  ENRICHBASE_LLM_RPM: {
    schema: z.coerce.number().int().min(1).optional(),
    example: '500',
    description: 'LLM requests per minute, per model (unset: learned from 429s)',
  },
  ENRICHBASE_LLM_TPM: {
    schema: z.coerce.number().int().min(1).optional(),
    example: '200000',
    description: 'LLM tokens per minute, per model',
  },
  SEARXNG_URL: {
    schema: z.url({ protocol: /^https?$/ }).optional(),
    example: 'http://127.0.0.1:8888',
    description: 'a SearXNG instance (JSON API enabled) for research agents',
  },
  BRAVE_SEARCH_API_KEY: {
    secret: true,
    schema: z.string().min(1).optional(),
    example: 'BSA…',
    description: 'Brave Search API key for research agents (used when SEARXNG_URL is unset)',
  },
  ENRICHBASE_SECRET_KEY: {
    secret: true,
    schema: z
      .string()
      .refine(
        (value) => Buffer.from(value, 'base64').length === 32,
        'must be 32 bytes, base64-encoded (openssl rand -base64 32)',
      )
      .optional(),
    example: '$(openssl rand -base64 32)',
    description:
      'key that encrypts vendor API keys at rest (unset: a key file in the data directory; set it when workers share a Postgres store)',
  },
  ENRICHBASE_VENDOR_BASE_URLS: {
    schema: z
      .string()
      .transform((value, context) => {
        try {
          return z.record(z.string(), z.url()).parse(JSON.parse(value));
        } catch {
          context.addIssue({ code: 'custom', message: 'must be a JSON object of provider → URL' });
          return z.NEVER;
        }
      })
      .optional(),
    example: '{"hunter": "https://hunter-proxy.internal"}',
    description: 'vendor API base URLs by provider, replacing the vendors’ own (proxies, sandboxes)',
  },
  ENRICHBASE_HTTP_ALLOW_PRIVATE: {
    schema: z.stringbool().default(false),
    example: 'false',
    description: 'let http columns reach private, loopback and link-local addresses',
  },
  ENRICHBASE_HTTP_ALLOWED_HOSTS: {
    schema: z.string().default(''),
    example: 'crm.internal:8080,10.0.0.5',
    description: 'comma-separated hosts (or host:port) http columns may reach even when private',
  },
} satisfies Record<string, VariableSpec<unknown>>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Every variable Enrichbase reads, with its description and example: the README's configuration table. */
export function describeVariables(): { name: string; example: string; description: string }[] {
  return Object.entries(VARIABLES).map(([name, spec]) => ({
    name,
    example: spec.example,
    description: spec.description,
  }));
}

function read<T>(env: NodeJS.ProcessEnv, name: keyof typeof VARIABLES): T {
  const spec = VARIABLES[name] as unknown as VariableSpec<T>;
  const raw = env[name];
  const result = spec.schema.safeParse(raw === '' ? undefined : raw);
  if (!result.success) {
    const reason = result.error.issues[0]?.message ?? 'invalid value';
    throw new ConfigError(
      `${name}=${spec.secret ? '(hidden)' : JSON.stringify(raw)} is not valid: ${reason}. Example: ${name}=${spec.example} (${spec.description}).`,
    );
  }
  return result.data;
}

/** Keys that belong to LLM and search settings, not to data vendors. */
const NON_VENDOR_KEYS = new Set(['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'BRAVE_SEARCH_API_KEY']);

function readVendorKeys(env: NodeJS.ProcessEnv): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const provider = /^([A-Z0-9]+)_API_KEY$/.exec(name)?.[1];
    if (provider && value && !NON_VENDOR_KEYS.has(name)) keys[provider.toLowerCase()] = value;
  }
  return keys;
}

function readLlmConfig(env: NodeJS.ProcessEnv): LlmConfig {
  const openaiKey = read<string | undefined>(env, 'OPENAI_API_KEY');
  const anthropicKey = read<string | undefined>(env, 'ANTHROPIC_API_KEY');
  return {
    openai: openaiKey
      ? {
          apiKey: openaiKey,
          baseUrl: read<string>(env, 'OPENAI_BASE_URL'),
          structuredOutputs: read<boolean>(env, 'OPENAI_STRUCTURED_OUTPUTS'),
        }
      : undefined,
    anthropic: anthropicKey
      ? { apiKey: anthropicKey, baseUrl: read<string>(env, 'ANTHROPIC_BASE_URL') }
      : undefined,
    models: {
      llm: read<string | undefined>(env, 'ENRICHBASE_MODEL_LLM'),
      research: read<string | undefined>(env, 'ENRICHBASE_MODEL_RESEARCH'),
      research_pro: read<string | undefined>(env, 'ENRICHBASE_MODEL_RESEARCH_PRO'),
      research_reasoning: read<string | undefined>(env, 'ENRICHBASE_MODEL_RESEARCH_REASONING'),
    },
    maxConcurrency: read<number>(env, 'ENRICHBASE_LLM_MAX_CONCURRENCY'),
    requestsPerMinute: read<number | undefined>(env, 'ENRICHBASE_LLM_RPM'),
    tokensPerMinute: read<number | undefined>(env, 'ENRICHBASE_LLM_TPM'),
  };
}

/** Parses the environment once, at boot. Throws `ConfigError` naming the variable at fault. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    port: read<number>(env, 'PORT'),
    host: read<string>(env, 'HOST'),
    dataDir: path.resolve(read<string>(env, 'ENRICHBASE_DATA_DIR')),
    databaseUrl: read<string | undefined>(env, 'DATABASE_URL'),
    logLevel: read<LogLevel>(env, 'LOG_LEVEL'),
    maxBodyBytes: Math.round(read<number>(env, 'ENRICHBASE_MAX_BODY_MB') * 1024 * 1024),
    runWorker: read<boolean>(env, 'ENRICHBASE_WORKER'),
    cacheTtlMs: Math.round(read<number>(env, 'ENRICHBASE_CACHE_TTL_DAYS') * 24 * 60 * 60 * 1000),
    leaseMs: read<number>(env, 'ENRICHBASE_LEASE_MS'),
    maxAttempts: read<number>(env, 'ENRICHBASE_MAX_ATTEMPTS'),
    httpAllowPrivate: read<boolean>(env, 'ENRICHBASE_HTTP_ALLOW_PRIVATE'),
    llm: readLlmConfig(env),
    secretKey: ((value) => (value ? Buffer.from(value, 'base64') : undefined))(
      read<string | undefined>(env, 'ENRICHBASE_SECRET_KEY'),
    ),
    vendorKeys: readVendorKeys(env),
    vendorBaseUrls: read<Record<string, string> | undefined>(env, 'ENRICHBASE_VENDOR_BASE_URLS') ?? {},
    search: {
      searxngUrl: read<string | undefined>(env, 'SEARXNG_URL'),
      braveApiKey: read<string | undefined>(env, 'BRAVE_SEARCH_API_KEY'),
    },
    httpAllowedHosts: read<string>(env, 'ENRICHBASE_HTTP_ALLOWED_HOSTS')
      .split(',')
      .map((host) => host.trim())
      .filter(Boolean),
  };
}
