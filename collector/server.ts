import Fastify, { LogController, type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { KeyRing, bearerToken } from './auth.ts'
import type { CollectorSettings, StorageSettings, TenantAccess } from './config.ts'
import type { CollectorDeps } from './deps.ts'
import { GatewayLink } from './gateway-link.ts'
import { createCollectorMetrics } from './metrics.ts'
import { registerOtlpReceiver } from './otlp/receiver.ts'
import { registerQueryApi } from './api/index.ts'
import { openStore } from './storage/store.ts'
import type { SpanRow } from './storage/span-row.ts'
import { SpanWriter } from './storage/writer.ts'
import { AdmissionControl } from './ingest/admission.ts'
import { Ingest } from './ingest/consume.ts'
import { Forwarder } from './forward/forwarder.ts'
import { SpanDeduplicator } from './ingest/dedup.ts'
import { loadRecentSpanIds } from './ingest/load-recent.ts'
import { builtUiDir, registerUi } from './ui-static.ts'
import { MAX_ID_LENGTH } from '../lib/limits.ts'
import { gracefulClose } from '../lib/close-server.ts'

export interface CollectorOptions {
  collector: CollectorSettings
  storage: StorageSettings
  tenants: TenantAccess[]
  adminToken?: string
  logger: Logger
  /** The gateway's URL when it is known only once it listens (`loopgate start`); else `collector.gatewayUrl`. */
  gatewayUrl?: () => string | undefined
  /** Called after each request's spans are stored (e.g. to enqueue evaluations); failures are logged, never refuse ingest. */
  onStored?: (rows: SpanRow[]) => void | Promise<void>
}

export interface RunningCollector {
  url: string
  close(): Promise<void>
}

export async function start(options: CollectorOptions): Promise<RunningCollector> {
  const { logger } = options
  const metrics = createCollectorMetrics()
  const store = await openStore(options.storage, {
    observeQuery: (tag, seconds) => metrics.querySeconds.observe({ query: tag }, seconds),
  })
  const writer = new SpanWriter(store, options.collector.writer, metrics, logger)
  const dedup = new SpanDeduplicator(options.collector.dedup)
  let forwarder: Forwarder | undefined
  try {
    // Configuration first (a missing header variable fails at once), then the start-up read.
    forwarder =
      options.collector.forward.length > 0
        ? new Forwarder(options.collector.forward, metrics.registry, logger)
        : undefined
    const loaded = await loadRecentSpanIds(store, dedup)
    if (loaded > 0) logger.info({ ids: loaded }, 'remembered recently stored span ids for deduplication')
  } catch (err) {
    await store.close()
    throw err
  }
  const admission = new AdmissionControl(options.collector.admission)
  const deps: CollectorDeps = {
    settings: options.collector,
    store,
    ingest: new Ingest({
      store,
      writer,
      dedup,
      metrics,
      logger,
      retentionDays: options.storage.retentionDays,
      onStored: options.onStored,
    }),
    admission,
    forwarder,
    keys: new KeyRing(options.tenants, options.adminToken, options.collector.metricsToken),
    tenants: options.tenants,
    metrics,
    logger,
    gateway: new GatewayLink(() => options.gatewayUrl?.() ?? options.collector.gatewayUrl, options.adminToken),
  }

  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.collector.maxBodyBytes,
    // Path ids (/sessions/:sessionId) up to the shared id limit, percent-encoded (≤ 9 characters per
    // UTF-16 unit); Fastify's default of 100 answered 414 for longer ids the collector had stored.
    routerOptions: { maxParamLength: MAX_ID_LENGTH * 9 },
  })
  const closeHttp = gracefulClose(app)
  app.get('/healthz', async () => ({ ok: true }))
  app.get('/metrics', async (req, reply) => {
    // Per-tenant counters name the tenants, so scraping needs a token.
    if (!deps.keys.mayScrapeMetrics(bearerToken(req.headers.authorization))) {
      metrics.unauthorized.inc({ endpoint: 'metrics' })
      return reply.code(401).send({
        error: { message: 'send "Authorization: Bearer <admin token or collector.metricsToken>" to read /metrics' },
      })
    }
    metrics.dedupIds.set(dedup.remembered)
    metrics.inFlightBytes.set(admission.inFlight.bytes)
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
  })
  await app.register(async (scope) => registerOtlpReceiver(scope, deps))
  await app.register(async (scope) => registerQueryApi(scope, deps))
  // At the root, not in a scope: the dashboard's SPA fallback is the app's not-found handler.
  if (options.collector.serveUi) await registerUi(app as unknown as FastifyInstance, { distDir: builtUiDir() })

  let address: string
  try {
    address = await app.listen({ host: options.collector.host, port: options.collector.port })
  } catch (err) {
    await store.close()
    throw err
  }
  return {
    url: address,
    async close() {
      await closeHttp() // stops accepting; in-flight requests finish first, their connections then close
      await writer.close()
      await forwarder?.close() // bounded: what is left after FORWARD_CLOSE_GRACE_MS is dropped and counted
      await store.close()
    },
  }
}
