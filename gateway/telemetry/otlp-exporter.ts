import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import type { BatchTransport, EncodedBatch } from './encoding-span-processor.ts'

/**
 * The SDK's OTLP/HTTP protobuf export (its transport, retries with Retry-After, timeouts, concurrency
 * limit), assembled as `OTLPTraceExporter` does, for batches the processor has already encoded.
 */
export function otlpProtobufTransport(url: string, headers: Record<string, string>, concurrentExports: number): BatchTransport {
  const options = convertLegacyHttpOptions({ url, headers, concurrencyLimit: concurrentExports }, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' })
  const serializer = { serializeRequest: (batch: EncodedBatch) => batch.body, deserializeResponse: ProtobufTraceSerializer.deserializeResponse }
  return createOtlpHttpExportDelegate(options, serializer, 'otlp_http_span_exporter', { name: 'span', countItems: (batch) => batch.spans }, undefined)
}
