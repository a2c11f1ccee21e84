import { trace, type Tracer } from '@opentelemetry/api'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import type { GatewaySettings } from '../config.ts'
import { EncodingBatchSpanProcessor } from './encoding-span-processor.ts'
import { otlpProtobufTransport } from './otlp-exporter.ts'

export interface Telemetry {
  tracer: Tracer
  /** Exports what is queued (tests, shutdown). */
  flush(): Promise<void>
  shutdown(): Promise<void>
}

/** `env:NAME` header values are read from the environment, so secrets stay out of the config file. */
function resolveHeaders(headers: Record<string, string>, env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.startsWith('env:') ? env[v.slice(4)] ?? '' : v]))
}

const EXPORT_BATCH = 2048
/** Well under the collector's default 16 MB body limit, even with captured prompts. */
const EXPORT_BATCH_BYTES = 4 * 1024 * 1024

/**
 * A tracer provider of our own, NOT registered globally: an agent running in the same process keeps
 * its own provider, and our spans never mix with its exporters.
 */
export function createTelemetry(settings: GatewaySettings['telemetry'], options: { exportToken?: string; exporters?: SpanExporter[]; env: NodeJS.ProcessEnv }): Telemetry {
  if (!settings.enabled && !options.exporters?.length) {
    return { tracer: trace.getTracerProvider().getTracer('noop'), flush: async () => {}, shutdown: async () => {} }
  }
  const batch = (exporter: SpanExporter): SpanProcessor =>
    new BatchSpanProcessor(exporter, { maxQueueSize: settings.maxQueueSize, scheduledDelayMillis: settings.scheduledDelayMs, maxExportBatchSize: EXPORT_BATCH })
  const concurrentExports = Math.ceil(settings.maxQueueSize / EXPORT_BATCH) + 1
  const otlp = (url: string, headers: Record<string, string>): SpanProcessor =>
    new EncodingBatchSpanProcessor(otlpProtobufTransport(url, headers, concurrentExports), {
      maxQueueSize: settings.maxQueueSize, maxExportBatchSize: EXPORT_BATCH, maxExportBatchBytes: EXPORT_BATCH_BYTES, scheduledDelayMillis: settings.scheduledDelayMs, maxConcurrentExports: concurrentExports,
    })
  const processors: SpanProcessor[] = []
  if (options.exporters?.length) processors.push(...options.exporters.map(batch))
  if (settings.enabled) {
    const headers: Record<string, string> = options.exportToken ? { authorization: `Bearer ${options.exportToken}` } : {}
    processors.push(otlp(`${settings.collectorUrl.replace(/\/+$/, '')}/v1/traces`, headers))
    for (const extra of settings.extraEndpoints) processors.push(otlp(extra.url, resolveHeaders(extra.headers, options.env)))
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
    spanProcessors: processors,
  })
  return {
    tracer: provider.getTracer('loopgate-gateway'),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  }
}
