import { z } from 'zod'
import { MAX_EMBEDDING_DIMENSIONS, MAX_ID_LENGTH, MAX_N, MAX_OUTPUT_TOKENS, idProblem } from '../lib/limits.ts'
import { targetId } from '../lib/ids.ts'
import { isDecimal } from '../lib/money.ts'

const MAX_CACHE_TTL_SECONDS = 7 * 24 * 3600
const MAX_CACHE_ENTRY_BYTES = 16 * 1024 * 1024

/** USD amount: a decimal string ("0.15") or a number; at most 12 decimals. */
const usd = z
  .union([z.string(), z.number().nonnegative()])
  .transform((v) => (typeof v === 'number' ? v.toFixed(12) : v.trim()))
  .refine(isDecimal, 'must be a non-negative decimal such as "0.15" (at most 12 decimals)')

/** USD per million tokens. */
export const priceSchema = z
  .object({ input: usd, output: usd, cacheRead: usd.optional(), cacheWrite: usd.optional() })
  .strict()

export const providerSchema = z
  .object({
    protocol: z.enum(['openai', 'anthropic']),
    /** OpenAI protocol: up to and including /v1 (e.g. https://api.openai.com/v1). Anthropic: without /v1. */
    baseUrl: z.string().url('must be a URL such as https://api.openai.com/v1'),
    /** Name of the environment variable holding the provider key (never the key itself). */
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
      .optional(),
    /** How the key is sent; default: `bearer` for openai, `x-api-key` for anthropic; `api-key` for Azure. */
    authHeader: z.enum(['bearer', 'x-api-key', 'api-key']).optional(),
    headers: z.record(z.string(), z.string()).default({}),
    /** Appended to every upstream URL, e.g. `api-version=2024-10-21` for Azure. */
    query: z.string().optional(),
    /** Path overrides (relative to baseUrl), e.g. Azure's `/deployments/gpt-4o/chat/completions`. */
    paths: z
      .object({
        chat: z.string().optional(),
        embeddings: z.string().optional(),
        messages: z.string().optional(),
        responses: z.string().optional(),
      })
      .strict()
      .default({}),
    /** OpenAI protocol: the provider also serves the Responses API (`/responses`), so /v1/responses requests pass through instead of being translated. */
    responses: z.boolean().default(false),
    /** Provider id in the @pydantic/genai-prices table; default: the protocol name. */
    priceProviderId: z.string().optional(),
    /** Keep-alive connections per upstream origin. */
    connections: z.number().int().positive().default(256),
  })
  .strict()
  .refine((p) => !p.responses || p.protocol === 'openai', {
    message:
      '`responses: true` applies to OpenAI-protocol providers only (Anthropic targets get the Responses API translated)',
    path: ['responses'],
  })

export const targetSchema = z
  .object({
    provider: z.string().min(1),
    model: z.string().min(1),
    weight: z.number().min(0, 'weights must be non-negative').default(1),
    /** Stable name used in spans and the scoreboard; default `provider/model`. */
    id: z.string().min(1).optional(),
    /** Overrides the price table for this target (USD per million tokens). */
    price: priceSchema.optional(),
  })
  .strict()
  // The id goes on every span: the collector refuses spans with ids over the shared limit.
  .refine((t) => !idProblem('id', targetId(t)), {
    message: `the target id (\`id\`, else provider/model) must be at most ${MAX_ID_LENGTH} characters without control characters`,
    path: ['id'],
  })

export const policySchema = z
  .object({
    /** Attempts in total, over every target (first try, retries and fallbacks). */
    maxAttempts: z.number().int().min(1).max(10).default(3),
    timeouts: z
      .object({
        connectMs: z.number().int().positive().default(5_000),
        /** Until the response headers arrive. */
        firstByteMs: z.number().int().positive().default(60_000),
        /** Whole attempt, body included (streams too). */
        totalMs: z.number().int().positive().default(600_000),
      })
      .strict()
      .prefault({}),
    retry: z
      .object({
        /** Retries of the same target after a 429 (within maxAttempts). */
        maxRetries: z.number().int().min(0).default(2),
        baseDelayMs: z.number().int().min(0).default(250),
        /** Longest wait honoured; a longer Retry-After falls back to the next target instead. */
        maxDelayMs: z.number().int().min(0).default(10_000),
        /** ± fraction of random jitter added to each delay. */
        jitter: z.number().min(0).max(1).default(0.2),
      })
      .strict()
      .prefault({}),
    /** What moves on to the next target. */
    fallbackOn: z
      .array(z.enum(['5xx', 'timeout', 'connection', '429']))
      .default(['5xx', 'timeout', 'connection', '429']),
    /** After a 429 the target leaves rotation for its Retry-After, or `defaultMs` without one (capped at `maxMs`). */
    rateLimitCooldown: z
      .object({
        defaultMs: z.number().int().min(0).default(1_000),
        maxMs: z.number().int().min(0).default(60_000),
      })
      .strict()
      .prefault({}),
    breaker: z
      .object({
        /** Consecutive failures that open the breaker. */
        failureThreshold: z.number().int().min(1).default(5),
        /** How long an open breaker rejects before a trial request. */
        cooldownMs: z.number().int().min(1).default(30_000),
      })
      .strict()
      .prefault({}),
  })
  .strict()

export const ruleSchema = z
  .object({
    when: z
      .object({
        /** Every listed tag must be present in the `x-loopgate-tags` header (comma-separated). */
        tags: z.array(z.string()).optional(),
        /** Body fields by dotted path (e.g. `metadata.tier`) that must equal these values. */
        fields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
      })
      .strict(),
    targets: z.array(targetSchema).min(1),
  })
  .strict()

/** A route's response cache: identical requests of one tenant within `ttlSeconds` are answered from it. */
export const routeCacheSchema = z
  .object({
    ttlSeconds: z
      .number({
        error: 'cache.ttlSeconds is required: how long (seconds) an answer is served from the cache, e.g. 300',
      })
      .int('cache.ttlSeconds must be a whole number of seconds')
      .min(1, 'cache.ttlSeconds must be at least 1')
      .max(MAX_CACHE_TTL_SECONDS, `cache.ttlSeconds must be at most ${MAX_CACHE_TTL_SECONDS} (7 days)`),
    /** Larger answers are served but not kept. */
    maxEntryBytes: z
      .number()
      .int()
      .min(1, 'cache.maxEntryBytes must be at least 1')
      .max(MAX_CACHE_ENTRY_BYTES, `cache.maxEntryBytes must be at most ${MAX_CACHE_ENTRY_BYTES} (16 MiB)`)
      .default(1024 * 1024),
  })
  .strict()

/** The stores behind every route's response cache: this process's memory, or Redis when REDIS_URL is set. */
export const responseCacheSchema = z
  .object({
    /** Memory bound of the in-process cache (least recently used answers leave first). */
    maxBytes: z
      .number()
      .int()
      .min(0)
      .default(64 * 1024 * 1024),
    /** A Redis read or write that takes longer counts as a miss (Redis is never waited on beyond this). */
    redisTimeoutMs: z.number().int().min(5).max(5_000).default(50),
  })
  .strict()
  .prefault({})

export const routeSchema = z
  .object({
    /** The virtual model name clients send as `model`. */
    name: z
      .string()
      .min(1)
      .refine(
        (n) => !idProblem('name', n),
        `route names are ids: at most ${MAX_ID_LENGTH} characters, no control characters`,
      ),
    targets: z.array(targetSchema).min(1, 'a route needs at least one target'),
    rules: z.array(ruleSchema).default([]),
    policy: policySchema.prefault({}),
    /** Same session (x-loopgate-session-id) → same target while weights stay, keeping prompt caches warm. */
    sticky: z.boolean().default(false),
    /** Prompt/response capture into span attributes. */
    capture: z.enum(['off', 'on', 'redacted']).default('off'),
    /** Output tokens a budget reserves for a request that sets no max_tokens (else `limits.defaultMaxOutputTokens`). */
    maxOutputTokens: z.number().int().positive().optional(),
    /** Response cache of this route (docs/gateway.md › Response cache); absent: off. */
    cache: routeCacheSchema.optional(),
  })
  .strict()

export const routingTableSchema = z.object({ routes: z.array(routeSchema) }).strict()

/** How budgets and rate limits are held and what happens when Redis is away (docs/gateway.md › Budgets). */
export const limitStoreSchema = z
  .object({
    /** Redis unreachable: `local` enforces on this process's own counters (warning + metric); `deny` refuses with 503. */
    failureMode: z.enum(['local', 'deny']).default('local'),
    /** A Redis command that takes longer counts as Redis unreachable. */
    redisTimeoutMs: z.number().int().min(5).max(5_000).default(50),
    /** While Redis is unreachable, how often it is tried again. */
    probeMs: z.number().int().min(10).default(500),
    /** Output tokens reserved when neither the request (max_tokens) nor the route (maxOutputTokens) caps them. */
    defaultMaxOutputTokens: z.number().int().positive().default(4096),
    /** Settled spend journal in dataDir (restarts without Redis remember spend). */
    journal: z
      .object({
        enabled: z.boolean().default(true),
        /** Buffered settlements are written and fdatasync'ed this often: a crash loses at most this much. */
        flushMs: z.number().int().min(1).default(200),
        /** Rewrite the file as per-scope totals after this many lines. */
        compactEvery: z.number().int().min(1).default(100_000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({})

const limitsSchema = z
  .object({ rpm: z.number().int().positive().optional(), tpm: z.number().int().positive().optional() })
  .strict()
const budgetsSchema = z.object({ usdPerDay: usd.optional(), usdPerMonth: usd.optional() }).strict()

export const virtualKeySchema = z
  .object({
    /** The key clients send, raw or as `sha256:<hex>` (preferred: the raw key never sits in the file). */
    key: z.string().min(8, 'virtual keys must be at least 8 characters'),
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'use letters, digits, "_", "." or "-"')
      .optional(),
    /** Routes this key may use; absent → all. */
    routes: z.array(z.string()).optional(),
    budgets: budgetsSchema.optional(),
    rateLimits: limitsSchema.optional(),
  })
  .strict()

export const gatewayTenantSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'use lowercase letters, digits, "_", "." or "-" (max 64)'),
    keys: z.array(virtualKeySchema).default([]),
    budgets: budgetsSchema.optional(),
    rateLimits: limitsSchema.optional(),
  })
  .strict()

const profileSchema = z
  .object({
    ttftMs: z.number().min(0),
    ttftJitter: z.number().min(0).max(1),
    tokensPerSecond: z.number().min(0),
    outputTokens: z.number().int().min(1).max(MAX_OUTPUT_TOKENS),
    errorRate: z.number().min(0).max(1),
    errorStatus: z.number().int().min(400).max(599),
    rateLimitRate: z.number().min(0).max(1),
    burstLength: z.number().int().min(1),
    retryAfterSeconds: z.number().min(0),
    hangRate: z.number().min(0).max(1),
    resetRate: z.number().min(0).max(1),
    cutRate: z.number().min(0).max(1),
    quality: z.number().min(0).max(1),
    embeddingDimensions: z.number().int().min(1).max(MAX_EMBEDDING_DIMENSIONS),
  })
  .partial()
  .strict()

/** `loopgate simulate`: simulated OpenAI/Anthropic providers (see docs/gateway.md › Simulator). */
export const simulatorConfigSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8090),
    /** Per-model behaviour; `*` applies to every model not listed. */
    models: z.record(z.string(), profileSchema).default({}),
  })
  .strict()
  .prefault({})

export const gatewayConfigSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8080),
    /** Routing table and its audit trail live here. Env: LOOPGATE_DATA_DIR (→ <dir>/gateway). */
    dataDir: z.string().default('./data/gateway'),
    maxBodyBytes: z
      .number()
      .int()
      .positive()
      .default(4 * 1024 * 1024),
    /** Largest `n` (choices per request) accepted; at most MAX_N (lib/limits.ts). */
    maxN: z.number().int().min(1).max(MAX_N).default(8),
    sessionHeader: z.string().default('x-loopgate-session-id'),
    userHeader: z.string().default('x-loopgate-user-id'),
    providers: z.record(z.string(), providerSchema).default({}),
    routes: z.array(routeSchema).default([]),
    tenants: z.array(gatewayTenantSchema).default([]),
    limits: limitStoreSchema,
    responseCache: responseCacheSchema,
    telemetry: z
      .object({
        enabled: z.boolean().default(true),
        /** The collector's OTLP/HTTP base; spans go to `<url>/v1/traces`. */
        collectorUrl: z.string().url().default('http://127.0.0.1:4318'),
        /** More OTLP/HTTP trace endpoints (full URL incl. /v1/traces); header values may be `env:NAME`. */
        extraEndpoints: z
          .array(z.object({ url: z.string().url(), headers: z.record(z.string(), z.string()).default({}) }).strict())
          .default([]),
        serviceName: z.string().default('loopgate-gateway'),
        maxQueueSize: z.number().int().positive().default(8192),
        scheduledDelayMs: z.number().int().positive().default(1000),
        /** One attempt's limit; a batch not acknowledged by then goes to the spool. */
        exportTimeoutMs: z.number().int().positive().default(10_000),
        /** Batches an endpoint did not acknowledge wait here (`<dataDir>/span-spool/<endpoint>/`) until it answers again. */
        spool: z
          .object({
            /** Disk bound per endpoint; when full, further batches are lost and counted. 0 turns the spool off. */
            maxBytes: z
              .number()
              .int()
              .min(0)
              .default(512 * 1024 * 1024),
            /** fsync each batch file (and the directory) before counting it spooled: survives a power loss, not only a crash. */
            fsync: z.boolean().default(true),
            /** Longest wait between tries while the endpoint is away (the first is 500 ms, doubling, ±20% jitter; a Retry-After wins). */
            maxBackoffMs: z.number().int().min(100).default(5_000),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    simulator: simulatorConfigSchema,
    /** POST /v1/responses: how long answers are kept for previous_response_id, item_reference and GET (docs/gateway.md › Responses API). */
    responses: z
      .object({
        /** Per tenant, in this process's memory; 0 keeps nothing (previous_response_id then always answers 400). */
        storeTtlSeconds: z.number().int().min(0).default(3600),
        /** Memory bound of all kept responses; the oldest go first. */
        storeMaxBytes: z
          .number()
          .int()
          .min(0)
          .default(64 * 1024 * 1024),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({})

export type GatewaySettings = z.infer<typeof gatewayConfigSchema>
export type ProviderSettings = z.infer<typeof providerSchema>
export type TargetSettings = z.infer<typeof targetSchema>
export type RouteSettings = z.infer<typeof routeSchema>
export type PolicySettings = z.infer<typeof policySchema>
export type RuleSettings = z.infer<typeof ruleSchema>
export type PriceSettings = z.infer<typeof priceSchema>
export type TenantSettings = z.infer<typeof gatewayTenantSchema>
export type LimitStoreSettings = z.infer<typeof limitStoreSchema>
export type RouteCacheSettings = z.infer<typeof routeCacheSchema>
export type ResponseCacheSettings = z.infer<typeof responseCacheSchema>
export type RoutingTableInput = z.input<typeof routingTableSchema>
