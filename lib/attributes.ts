/**
 * Span attributes that the gateway writes and the collector reads beyond the GenAI conventions.
 * Documented in docs/gateway.md (Telemetry) and docs/normalization.md.
 */

/** On a request span (boolean): every candidate target failed, or none could be tried. */
export const ROUTE_FAILED = 'loopgate.route.failed'

/** On a request span and its attempt (boolean): the stream ended before completing; its usage was settled as cut. */
export const USAGE_CUT = 'loopgate.usage.cut'
