/**
 * Span attribute names every component shares: the `loopgate.*` names the gateway writes and the
 * collector, evaluator and UI read (documented in docs/gateway.md (Telemetry) and docs/normalization.md),
 * and the OpenTelemetry names they use, taken from `@opentelemetry/semantic-conventions` (GenAI names
 * are in its `incubating` entry point; the package version is pinned, so they cannot move under us).
 * Components import these from here, never from the package, so an upgrade touches one file.
 */

export {
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_COMPLETION,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_DATA_SOURCE_ID,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OPENAI_REQUEST_RESPONSE_FORMAT,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_TYPE,
  ATTR_GEN_AI_PROMPT,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_SYSTEM,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_USAGE_COMPLETION_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_PROMPT_TOKENS,
} from '@opentelemetry/semantic-conventions/incubating'
export { ATTR_ERROR_TYPE, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions'

/** Which gateway span this is: `request` (the client's call, billable) or `attempt` (one upstream try). */
export const SPAN_ROLE = 'loopgate.span'

/** The tenant a span belongs to; honoured only from a trusted ingest (the gateway's). */
export const TENANT_ID = 'loopgate.tenant.id'

/** The route a request was sent to, the target that served an attempt, and the routing table version. */
export const ROUTE = 'loopgate.route'
export const TARGET = 'loopgate.target'
export const ROUTING_VERSION = 'loopgate.routing.version'

/** On an attempt: its number (1-based); on a request span: how many attempts were made. */
export const ATTEMPT = 'loopgate.attempt'

/** The cost the gateway computed (decimal USD string) and where its price came from (`config`, `price_table`, `unknown`). */
export const COST_USD = 'loopgate.cost_usd'
export const COST_SOURCE = 'loopgate.cost_source'

/** Time to first token: milliseconds (what the gateway writes) or nanoseconds. */
export const TTFT_MS = 'loopgate.ttft_ms'
export const TTFT_NS = 'loopgate.ttft_ns'

/** Prompt/answer capture of the route: `full`, `redacted` or `off`. */
export const CAPTURE = 'loopgate.capture'

/** The request's `response_format` as JSON, for the evaluator's JSON check. */
export const RESPONSE_FORMAT = 'loopgate.response_format'

/** The task's expected answer and how to compare with it, for the evaluator's reference scorer. */
export const EXPECTED_ANSWER = 'loopgate.expected_answer'
export const EXPECTED_MATCH = 'loopgate.expected_answer.match'
export const EXPECTED_TOLERANCE = 'loopgate.expected_answer.tolerance'

/** Set by the collector on a stored span whose attributes were cut to the storage limits. */
export const TRUNCATED_ATTRIBUTES = 'loopgate.truncated_attributes'

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
export const TAG_ATTRIBUTES = [
  'tag.tags',
  'langfuse.trace.tags',
  'ai.telemetry.metadata.tags',
  'traceloop.association.properties.tags',
] as const
