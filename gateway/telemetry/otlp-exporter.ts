import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base'
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http'
import { TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base'
import { otlpSpanEncoder } from './otlp-span-encoder.ts'

/**
 * The SDK's OTLP/HTTP protobuf span exporter (its transport, retries with Retry-After, timeouts),
 * assembled as `OTLPTraceExporter` does, with our span encoder in place of the SDK's.
 * `concurrentExports` must cover a flush of the whole queue: an export over the limit is dropped.
 */
export function otlpProtobufExporter(url: string, headers: Record<string, string>, concurrentExports: number): SpanExporter {
  const options = convertLegacyHttpOptions({ url, headers, concurrencyLimit: concurrentExports }, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' })
  return new OTLPExporterBase<ReadableSpan[]>(createOtlpHttpExportDelegate(options, otlpSpanEncoder, 'otlp_http_span_exporter', TraceExporterMetricsHelper, undefined))
}
