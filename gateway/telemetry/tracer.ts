import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { trace, type Tracer } from '@opentelemetry/api'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { pino, type Logger } from 'pino'
import type { GatewaySettings } from '../config.ts'
import { DeliveryStats } from './delivery-stats.ts'
import { EncodingBatchSpanProcessor } from './encoding-span-processor.ts'
import { OtlpHttpSender } from './otlp-sender.ts'
import { SpanSpool } from './span-spool.ts'
import { SpoolingTransport } from './spooling-transport.ts'

export interface Telemetry {
  tracer: Tracer
  /** Exports what is queued (tests, shutdown); batches an endpoint does not take go to its spool. */
  flush(): Promise<void>
  /** Bounded: sends still open after CLOSE_GRACE_MS are spooled rather than awaited. */
  shutdown(): Promise<void>
  /** Delivery counters and spool state per OTLP endpoint, for /metrics. */
  delivery: readonly DeliveryStats[]
}

/** How long a closing gateway waits for batches in flight before spooling them instead. */
export const CLOSE_GRACE_MS = 1_000

/** `env:NAME` header values are read from the environment, so secrets stay out of the config file. */
function resolveHeaders(headers: Record<string, string>, env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [k, v.startsWith('env:') ? (env[v.slice(4)] ?? '') : v]),
  )
}

const EXPORT_BATCH = 2048
/** Well under the collector's default 16 MB body limit, even with captured prompts. */
const EXPORT_BATCH_BYTES = 4 * 1024 * 1024

/**
 * A tracer provider of our own, NOT registered globally: an agent running in the same process keeps
 * its own provider, and our spans never mix with its exporters.
 */
export function createTelemetry(
  settings: GatewaySettings['telemetry'],
  options: {
    exportToken?: string
    exporters?: SpanExporter[]
    env: NodeJS.ProcessEnv
    /** Spools live under `<dataDir>/span-spool/`; none without it. */ dataDir?: string
    logger?: Logger
  },
): Telemetry {
  if (!settings.enabled && !options.exporters?.length) {
    return {
      tracer: trace.getTracerProvider().getTracer('noop'),
      flush: async () => {},
      shutdown: async () => {},
      delivery: [],
    }
  }
  const logger = options.logger ?? pino({ level: 'silent' })
  const batch = (exporter: SpanExporter): SpanProcessor =>
    new BatchSpanProcessor(exporter, {
      maxQueueSize: settings.maxQueueSize,
      scheduledDelayMillis: settings.scheduledDelayMs,
      maxExportBatchSize: EXPORT_BATCH,
    })
  const concurrentExports = Math.ceil(settings.maxQueueSize / EXPORT_BATCH) + 1
  const transports: SpoolingTransport[] = []
  const stats: DeliveryStats[] = []
  const otlp = (endpoint: string, url: string, headers: Record<string, string>): SpanProcessor => {
    const spool =
      options.dataDir && settings.spool.maxBytes > 0
        ? SpanSpool.open(join(options.dataDir, 'span-spool', endpoint), {
            maxBytes: settings.spool.maxBytes,
            fsync: settings.spool.fsync,
          })
        : undefined
    const delivery = new DeliveryStats(endpoint)
    const transport = new SpoolingTransport(
      new OtlpHttpSender(url, headers, concurrentExports),
      spool,
      delivery,
      logger,
      {
        timeoutMs: settings.exportTimeoutMs,
        maxBackoffMs: settings.spool.maxBackoffMs,
        replayMaxBytes: EXPORT_BATCH_BYTES,
        replayMaxSpans: EXPORT_BATCH,
      },
    )
    transports.push(transport)
    stats.push(delivery)
    return new EncodingBatchSpanProcessor(transport, {
      maxQueueSize: settings.maxQueueSize,
      maxExportBatchSize: EXPORT_BATCH,
      maxExportBatchBytes: EXPORT_BATCH_BYTES,
      scheduledDelayMillis: settings.scheduledDelayMs,
      maxConcurrentExports: concurrentExports,
    })
  }
  const processors: SpanProcessor[] = []
  if (options.exporters?.length) processors.push(...options.exporters.map(batch))
  if (settings.enabled) {
    const headers: Record<string, string> = options.exportToken
      ? { authorization: `Bearer ${options.exportToken}` }
      : {}
    processors.push(otlp('collector', `${settings.collectorUrl.replace(/\/+$/, '')}/v1/traces`, headers))
    for (const extra of settings.extraEndpoints) {
      // Named by URL, so a spool stays with its endpoint when the list changes.
      const endpoint = `extra-${createHash('sha256').update(extra.url).digest('hex').slice(0, 12)}`
      processors.push(otlp(endpoint, extra.url, resolveHeaders(extra.headers, options.env)))
    }
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
    spanProcessors: processors,
  })
  return {
    tracer: provider.getTracer('loopgate-gateway'),
    flush: () => provider.forceFlush(),
    shutdown: () => {
      for (const t of transports) t.beginClose(CLOSE_GRACE_MS)
      return provider.shutdown()
    },
    delivery: stats,
  }
}
