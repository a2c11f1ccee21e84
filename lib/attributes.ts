/**
 * Span attributes that the gateway writes and the collector reads beyond the GenAI conventions.
 * Documented in docs/gateway.md (Telemetry) and docs/normalization.md.
 */

/** On a request span (boolean): every candidate target failed, or none could be tried. */
export const ROUTE_FAILED = 'loopgate.route.failed'

/** On a request span and its attempt (boolean): the stream ended before completing; its usage was settled as cut. */
export const USAGE_CUT = 'loopgate.usage.cut'

/**
 * Where a span's tags are read from, in this order (span attributes first, then resource
 * attributes): OpenInference `tag.tags`, Langfuse `langfuse.trace.tags`, the Vercel AI SDK's
 * `ai.telemetry.metadata.tags`, Traceloop's `traceloop.association.properties.tags`. A value is a
 * JSON array of strings (how OTLP array attributes are stored) or comma-separated text.
 */
export const TAG_ATTRIBUTES = ['tag.tags', 'langfuse.trace.tags', 'ai.telemetry.metadata.tags', 'traceloop.association.properties.tags'] as const
