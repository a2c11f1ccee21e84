/**
 * Span attributes that the gateway writes and the collector reads beyond the GenAI conventions.
 * Documented in docs/gateway.md (Telemetry) and docs/normalization.md.
 */

/** On a request span (boolean): every candidate target failed, or none could be tried. */
export const ROUTE_FAILED = 'loopgate.route.failed'

/** On a request span and its attempt (boolean): the stream ended before completing; its usage was settled as cut. */
export const USAGE_CUT = 'loopgate.usage.cut'

/** On a request span (boolean): answered from the route's response cache; no upstream call, charged cost 0. */
export const CACHE_HIT = 'loopgate.cache.hit'

/** On a request span of a cache-enabled route: `hit`, `miss`, `refresh` or `bypass` (what the request asked and got). */
export const CACHE_STATUS = 'loopgate.cache.status'

/** On a cache hit's request span (exact decimal string, USD): what the cached answer cost when it was fetched. */
export const CACHE_SAVED_USD = 'loopgate.cache.saved_usd'

/**
 * Where a span's tags are read from, in this order (span attributes first, then resource
 * attributes): OpenInference `tag.tags`, Langfuse `langfuse.trace.tags`, the Vercel AI SDK's
 * `ai.telemetry.metadata.tags`, Traceloop's `traceloop.association.properties.tags`. A value is a
 * JSON array of strings (how OTLP array attributes are stored) or comma-separated text.
 */
export const TAG_ATTRIBUTES = ['tag.tags', 'langfuse.trace.tags', 'ai.telemetry.metadata.tags', 'traceloop.association.properties.tags'] as const
