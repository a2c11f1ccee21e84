import { z } from 'zod'

/** One OTLP/HTTP destination the collector forwards stored requests to. */
export const forwardDestinationSchema = z.object({
  /** The destination's traces endpoint, e.g. https://otel.example.com/v1/traces. */
  url: z.string().url({ message: 'must be an http(s) URL such as https://otel.example.com/v1/traces' }),
  /** Extra request headers (e.g. an API key). */
  headers: z.record(z.string(), z.string()).default({}),
  /** Headers whose value is read from an environment variable at start: { header: ENV_NAME }; a missing variable fails the start. */
  headersFromEnv: z
    .record(z.string(), z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'))
    .default({}),
  /** Only requests whose stored spans all belong to these tenants are forwarded; absent → all tenants. */
  tenants: z.array(z.string().min(1)).min(1).optional(),
  /** Request bytes waiting for this destination at most; beyond this a request is dropped (queue_full). */
  maxQueueBytes: z
    .number()
    .int()
    .positive()
    .default(16 * 1024 * 1024),
  /** Attempts per request (first send included) before it is dropped (retries_exhausted). */
  maxAttempts: z.number().int().min(1).max(100).default(8),
  /** One attempt's time limit. */
  timeoutMs: z.number().int().positive().default(10_000),
  /** Wire format sent: as the exporter sent it, or re-encoded as OTLP protobuf or OTLP/JSON. */
  protocol: z.enum(['as-received', 'protobuf', 'json']).default('as-received'),
})

export type ForwardDestination = z.infer<typeof forwardDestinationSchema>

/** The collector's section of loopgate.yaml (see README › Configuration). */
export const collectorConfigSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(4318),
    /** Largest request body accepted on the wire (compressed size), in bytes. */
    maxBodyBytes: z
      .number()
      .int()
      .positive()
      .default(16 * 1024 * 1024),
    /** Largest body after gzip inflation; protects against gzip bombs. */
    maxInflatedBytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024 * 1024),
    /** Accept OTLP without an ingest key from 127.0.0.1/::1 (as the `default` tenant). */
    allowLoopbackWithoutKey: z.boolean().default(true),
    /**
     * Routes whose statistics also count quality scores posted with tenant read keys (human
     * feedback). Elsewhere only scores posted with the admin token (evaluator, operators) count.
     */
    tenantFeedbackRoutes: z.array(z.string().min(1)).default([]),
    /** A token that may scrape /metrics besides the admin token. Env: LOOPGATE_METRICS_TOKEN. */
    metricsToken: z
      .string()
      .min(16, 'use at least 16 characters (generate one with `openssl rand -hex 24`)')
      .optional(),
    /**
     * The gateway whose admin API the dashboard's admin page reaches through `/api/admin/*` (with the
     * admin token); `loopgate start` sets it to its own gateway. Without it those endpoints answer 503.
     */
    gatewayUrl: z.string().url({ message: 'must be an http(s) URL such as http://127.0.0.1:8080' }).optional(),
    /** Serve the built dashboard (ui/dist) at `/` when it exists. */
    serveUi: z.boolean().default(true),
    writer: z
      .object({
        /** Rows per INSERT at most; concurrent requests are grouped up to this size. */
        maxBatchRows: z.number().int().positive().default(50_000),
        /** Rows waiting for an INSERT at most; beyond this ingest answers 429 + Retry-After. */
        maxPendingRows: z.number().int().positive().default(400_000),
        /** How long a batch waits for others to join it before its INSERT starts (also between back-to-back INSERTs). */
        lingerMs: z.number().int().min(0).default(50),
      })
      .prefault({}),
    /** Re-sent spans (same tenant, trace id, span id) are acknowledged without being stored twice (docs/schema.md › Deduplication). */
    dedup: z
      .object({
        /** Stored span ids remembered at most (28 bytes each, allocated at start); 0 turns deduplication off. */
        maxIds: z.number().int().min(0).default(1_000_000),
        /** How long a stored span's id is remembered; a re-send later than this (or after maxIds newer spans) is stored again. */
        windowSeconds: z.number().int().min(1).default(900),
      })
      .prefault({}),
    /** Admission control: refuse early (429 + Retry-After ≤ 5 s) rather than acknowledge late. */
    admission: z
      .object({
        /** A request is admitted only if the work ahead of it should finish within this many seconds. */
        maxQueueSeconds: z.number().positive().max(60).default(2),
        /** Request bytes in flight at most (the bound on what ingest holds in memory). */
        maxInFlightBytes: z
          .number()
          .int()
          .positive()
          .default(8 * 1024 * 1024),
      })
      .prefault({}),
    /** OTLP/HTTP destinations that receive a copy of what was stored (docs/forwarding.md). */
    forward: z.array(forwardDestinationSchema).default([]),
  })
  .prefault({})

export type CollectorSettings = z.infer<typeof collectorConfigSchema>

/** Where spans live: embedded chDB (default) or a ClickHouse server / cluster. */
export const storageConfigSchema = z
  .object({
    /** ClickHouse HTTP URL; empty → embedded chDB under `path`. Env: CLICKHOUSE_URL. */
    url: z.string().url({ message: 'must be an http(s) URL such as http://localhost:8123' }).optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    database: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier')
      .default('loopgate'),
    /** Embedded data directory (chDB). */
    path: z.string().default('./data/clickhouse'),
    /** Cluster name: DDL is emitted ON CLUSTER with Replicated/Distributed tables. */
    cluster: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier')
      .optional(),
    /** Spans, scores and rollups older than this are dropped by TTL. */
    retentionDays: z.number().int().min(1).default(30),
    /** ClickHouse's own system log tables keep this many days. */
    systemLogRetentionDays: z.number().int().min(1).default(3),
  })
  .prefault({})

export type StorageSettings = z.infer<typeof storageConfigSchema>

/** Who may send and read data for a tenant. Keys are given raw or as `sha256:<hex>`. */
export interface TenantAccess {
  id: string
  ingestKeys: string[]
  readKeys: string[]
  /** Keys that read the tenant's data but may not post scores or annotations (dashboards for viewers). */
  readOnlyKeys?: string[]
  /** The gateway's spending limits (USD decimal strings); the collector only reports spend against them. */
  budgets?: { usdPerDay?: string; usdPerMonth?: string }
}
