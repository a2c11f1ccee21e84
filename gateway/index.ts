/**
 * The gateway's public face: `start(options)` → `{ url, close() }`, plus its config schema and the
 * simulator. Other components import only this file, `config.ts` and `simulator/index.ts`.
 */
import type { Redis } from 'ioredis'
import { pino, type Logger } from 'pino'
import type { SpanExporter } from '@opentelemetry/sdk-trace-base'
import { gatewayConfigSchema, type GatewaySettings } from './config.ts'
import { count, type GatewayContext } from './context.ts'
import { createGatewayMetrics, observe } from './metrics.ts'
import { Breakers } from './policy/breaker.ts'
import { Cooldowns } from './policy/cooldown.ts'
import { Upstreams } from './policy/upstream.ts'
import { buildProviders } from './providers/registry.ts'
import { ResponseStore } from './responses/store.ts'
import { RoutingTable } from './routing/manager.ts'
import { TableFiles } from './routing/persistence.ts'
import { RedisTableSync } from './routing/redis-sync.ts'
import { Scoreboard } from './scoreboard.ts'
import { SecretMasker, clearSecrets, virtualKeyHashes } from './secrets.ts'
import { buildServer } from './server.ts'
import { buildCatalog } from './tenancy/key-catalog.ts'
import { KeyStateFiles } from './tenancy/key-state-files.ts'
import { RedisKeyStateSync } from './tenancy/key-state-redis.ts'
import { KeyStateStore } from './tenancy/key-state-store.ts'
import { emptyKeyState } from './tenancy/key-state.ts'
import { ResponseCache } from './cache/index.ts'
import { MemoryCacheStore } from './cache/memory-store.ts'
import { RedisCacheStore } from './cache/redis-store.ts'
import { VirtualKeys } from './tenancy/keys.ts'
import { createLimitStore } from './tenancy/store.ts'
import { createTelemetry } from './telemetry/tracer.ts'
import { gracefulClose } from '../lib/close-server.ts'

export { gatewayConfigSchema, type GatewaySettings } from './config.ts'

/** How long a start waits for Redis before serving without it. */
const REDIS_START_WAIT_MS = 3_000
/** A Redis connection that sends a command and hears nothing for this long is dropped and reconnected. */
const REDIS_SOCKET_TIMEOUT_MS = 3_000

/** Connects, or gives up waiting after `ms` (ioredis keeps reconnecting in the background either way). */
async function connectWithin(redis: Redis, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))
  const connected = redis.connect().then(
    () => true,
    () => false,
  )
  const ok = await Promise.race([connected, timeout])
  clearTimeout(timer)
  return ok
}

export interface GatewayOptions {
  /** The `gateway` section of loopgate.yaml, parsed or raw (it is parsed again either way). */
  gateway: unknown
  /** Guards /admin/*. Env: LOOPGATE_ADMIN_TOKEN. */
  adminToken?: string
  /** Shared counters and routing table for every replica. Env: REDIS_URL. */
  redisUrl?: string
  /** Bearer token for the collector: the internal token in-process, the admin token standalone. */
  exportToken?: string
  logger?: Logger
  /** Where provider keys are read from (apiKeyEnv); default process.env. */
  env?: NodeJS.ProcessEnv
  /** Extra span exporters (tests use an in-memory one). */
  spanExporters?: SpanExporter[]
}

export interface RunningGateway {
  url: string
  /** The routing version being served right now. */
  routingVersion(): number
  /** Exports queued spans now. */
  flushTelemetry(): Promise<void>
  close(): Promise<void>
}

export async function start(options: GatewayOptions): Promise<RunningGateway> {
  const settings: GatewaySettings = gatewayConfigSchema.parse(options.gateway ?? {})
  const logger = options.logger ?? pino({ level: 'info' })
  const env = options.env ?? process.env
  const providers = buildProviders(settings.providers, env)

  let redis: Redis | undefined
  let redisAtStart = false
  if (options.redisUrl) {
    // ioredis costs ~14 MB of memory: loaded only when Redis is configured.
    const { Redis } = await import('ioredis')
    // socketTimeout: a hung Redis (connected but silent) is dropped and retried instead of awaited forever.
    redis = new Redis(options.redisUrl, {
      lazyConnect: true,
      maxRetriesPerRequest: 2,
      enableAutoPipelining: true,
      socketTimeout: REDIS_SOCKET_TIMEOUT_MS,
    })
    redis.on('error', () => {}) // until the start's outcome is known (ioredis prints unhandled errors)
    redisAtStart = await connectWithin(redis, REDIS_START_WAIT_MS)
    // One warning per outage, not one per reconnect attempt (limits report their own episode). After
    // a start without Redis, the routing table's sync reports when Redis answers.
    let lost = !redisAtStart
    let quietReady = !redisAtStart
    redis.on('error', (err: Error) => {
      if (!lost) logger.warn({ err: err.message }, 'redis: connection lost; reconnecting')
      lost = true
    })
    redis.on('ready', () => {
      if (lost && !quietReady) logger.info('redis: connected again')
      lost = false
      quietReady = false
    })
    if (!redisAtStart) {
      logger.warn(
        { failureMode: settings.limits.failureMode },
        `redis: unreachable at start; serving the configured routes with the weights of ${settings.dataDir}/routing.json, ` +
          (settings.limits.failureMode === 'deny'
            ? 'refusing requests of keys with limits (503, failureMode "deny")'
            : 'enforcing limits on this process\'s own counters (failureMode "local")') +
          ', and answering PUT /admin/routing with 503, until Redis answers; it is retried in the background',
      )
    }
  }
  const routing = new RoutingTable(
    providers,
    new TableFiles(settings.dataDir),
    redis ? new RedisTableSync(redis) : undefined,
    logger,
  )
  const telemetry = createTelemetry(settings.telemetry, {
    exportToken: options.exportToken,
    exporters: options.spanExporters,
    env,
    dataDir: settings.dataDir,
    logger,
  })
  const rawVirtualKeys = settings.tenants
    .flatMap((t) => t.keys.map((k) => k.key))
    .filter((k) => !k.startsWith('sha256:'))
  const masker = new SecretMasker({
    exact: [
      ...clearSecrets(
        [...providers.values()].map((p) => p.headers),
        [options.adminToken, options.exportToken],
      ),
      ...rawVirtualKeys,
    ],
    hashes: virtualKeyHashes(settings.tenants),
  })
  const upstreams = new Upstreams(masker)
  const metrics = createGatewayMetrics()
  const limits = await createLimitStore(
    settings.limits,
    settings.dataDir,
    redis && { connection: redis, reachable: redisAtStart },
    logger,
    (reason) => count({ metrics }, reason),
  )
  const keys = new VirtualKeys(buildCatalog(settings.tenants, emptyKeyState()))
  const keyState = new KeyStateStore(
    new KeyStateFiles(settings.dataDir),
    redis ? new RedisKeyStateSync(redis) : undefined,
    logger,
    (state) => {
      const catalog = buildCatalog(settings.tenants, state)
      keys.rebuild(catalog)
      masker.addHashes(catalog.keys.map((k) => k.hash))
    },
  )
  const ctx: GatewayContext = {
    settings,
    keys,
    keyState,
    limits,
    routing,
    breakers: new Breakers(),
    cooldowns: new Cooldowns(),
    scoreboard: new Scoreboard(),
    upstreams,
    responses: new ResponseStore(settings.responses.storeTtlSeconds * 1000, settings.responses.storeMaxBytes),
    // With Redis every replica shares one cache; without it, this process's memory.
    responseCache: new ResponseCache(
      redis
        ? new RedisCacheStore(redis, settings.responseCache.redisTimeoutMs)
        : new MemoryCacheStore(settings.responseCache.maxBytes),
    ),
    tracer: telemetry.tracer,
    logger,
    metrics,
  }
  observe(metrics, { limits, delivery: telemetry.delivery, responses: ctx.responses, responseCache: ctx.responseCache })
  const app = buildServer(ctx, options.adminToken)
  const closeHttp = gracefulClose(app)
  let url: string
  try {
    await routing.init(settings.routes)
    await keyState.init()
    url = await app.listen({ host: settings.host, port: settings.port })
  } catch (err) {
    await keyState.close()
    await routing.close()
    await limits.close()
    redis?.disconnect()
    await telemetry.shutdown()
    throw err
  }
  logger.info(
    { url, routes: routing.current.byName.size, version: routing.current.version, keys: ctx.keys.size },
    'gateway listening',
  )
  return {
    url,
    routingVersion: () => routing.current.version,
    flushTelemetry: () => telemetry.flush(),
    async close() {
      await closeHttp() // answers in flight finish; their connections do not linger
      await upstreams.close()
      await routing.close()
      await keyState.close()
      await ctx.limits.close()
      redis?.disconnect()
      await telemetry.shutdown()
    },
  }
}
