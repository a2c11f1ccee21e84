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
