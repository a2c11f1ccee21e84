// THE precedence table: for each canonical column, the attribute sources in order; the first
// one present (non-empty) on the span wins, then the same list over the resource attributes.
// docs/normalization.md lists exactly these sources (a test compares them), so keep both in step.
//
// Source notation:
//   'a.b.c'            a span attribute (events named in EVENT_SOURCES can also supply it)
//   'a.b#field'        field `field` of the JSON object stored in attribute a.b
//   'a.{i}.b'          indexed attributes assembled into a JSON message list (see messages.ts)
// Names Loopgate writes and the OTel GenAI names come from lib/attributes.ts; other producers' names are literals.
import {
  ATTEMPT,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_COMPLETION,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_PROMPT,
  ATTR_GEN_AI_SYSTEM,
  ATTR_GEN_AI_USAGE_COMPLETION_TOKENS,
  ATTR_GEN_AI_USAGE_PROMPT_TOKENS,
  COST_USD,
  ROUTE,
  ROUTING_VERSION,
  TARGET,
  TENANT_ID,
  TTFT_MS,
  TTFT_NS,
} from '../../lib/attributes.ts'

export const precedence = {
  tenant_id: [TENANT_ID],
  session_id: [
    'session.id',
    ATTR_GEN_AI_CONVERSATION_ID,
    'langfuse.session.id',
    'traceloop.association.properties.session_id',
    'ai.telemetry.metadata.sessionId',
    'ai.telemetry.metadata.session_id',
  ],
  user_id: [
    'user.id',
    'enduser.id',
    'langfuse.user.id',
    'traceloop.association.properties.user_id',
    'ai.telemetry.metadata.userId',
    'ai.telemetry.metadata.user_id',
  ],
  operation: [
    ATTR_GEN_AI_OPERATION_NAME,
    'llm.request.type',
    'ai.operationId',
    'openinference.span.kind',
    'traceloop.span.kind',
    'langfuse.observation.type',
  ],
  span_type: [
    'openinference.span.kind',
    'langfuse.observation.type',
    'traceloop.span.kind',
    'ai.operationId',
    ATTR_GEN_AI_OPERATION_NAME,
    'llm.request.type',
  ],
  provider: [ATTR_GEN_AI_PROVIDER_NAME, 'ai.model.provider', ATTR_GEN_AI_SYSTEM, 'llm.provider', 'llm.system'],
  request_model: [ATTR_GEN_AI_REQUEST_MODEL, 'ai.model.id', 'llm.model_name', 'langfuse.observation.model.name'],
  response_model: [
    ATTR_GEN_AI_RESPONSE_MODEL,
    'ai.response.model',
    'llm.model_name',
    'langfuse.observation.model.name',
  ],
  input_tokens: [
    ATTR_GEN_AI_USAGE_INPUT_TOKENS,
    ATTR_GEN_AI_USAGE_PROMPT_TOKENS,
    'llm.token_count.prompt',
    'ai.usage.inputTokens',
    'ai.usage.promptTokens',
    'langfuse.observation.usage_details#input',
  ],
  output_tokens: [
    ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
    ATTR_GEN_AI_USAGE_COMPLETION_TOKENS,
    'llm.token_count.completion',
    'ai.usage.outputTokens',
    'ai.usage.completionTokens',
    'langfuse.observation.usage_details#output',
  ],
  cache_read_tokens: [
    ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    'gen_ai.usage.cache_read_input_tokens',
    'llm.token_count.prompt_details.cache_read',
    'ai.usage.inputTokenDetails.cacheReadTokens',
    'ai.usage.cachedInputTokens',
    'langfuse.observation.usage_details#cache_read_input_tokens',
    'langfuse.observation.usage_details#input_cached_tokens',
    'langfuse.observation.usage_details#input_cache_read',
  ],
  cache_write_tokens: [
    ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
    'gen_ai.usage.cache_creation_input_tokens',
    'llm.token_count.prompt_details.cache_write',
    'ai.usage.inputTokenDetails.cacheWriteTokens',
    'langfuse.observation.usage_details#cache_creation_input_tokens',
    'langfuse.observation.usage_details#input_cache_creation',
  ],
  cost_usd: [
    COST_USD,
    'gen_ai.usage.cost',
    'llm.cost.total',
    'langfuse.observation.cost_details#total',
    'ai.usage.cost',
  ],
  input_text: [
    ATTR_GEN_AI_INPUT_MESSAGES,
    ATTR_GEN_AI_PROMPT,
    'input.value',
    'llm.input_messages.{i}.message',
    'gen_ai.prompt.{i}',
    'ai.prompt.messages',
    'ai.prompt',
    'langfuse.observation.input',
    'traceloop.entity.input',
  ],
  output_text: [
    ATTR_GEN_AI_OUTPUT_MESSAGES,
    ATTR_GEN_AI_COMPLETION,
    'output.value',
    'llm.output_messages.{i}.message',
    'gen_ai.completion.{i}',
    'ai.response.text',
    'ai.response.object',
    'langfuse.observation.output',
    'traceloop.entity.output',
  ],
  finish_reason: [
    ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
    'ai.response.finishReason',
    'gen_ai.completion.0.finish_reason',
    'llm.finish_reason',
  ],
  route: [ROUTE],
  target: [TARGET],
  routing_version: [ROUTING_VERSION],
  attempt: [ATTEMPT],
  ttft_ns: [
    TTFT_NS,
    TTFT_MS,
    'ai.response.msToFirstChunk',
    'ai.stream.msToFirstChunk',
    'langfuse.observation.completion_start_time',
  ],
  error: [ATTR_ERROR_TYPE],
} as const satisfies Record<string, readonly string[]>

export type Column = keyof typeof precedence

/** Span events whose attributes can supply a source the span itself lacks (older GenAI semconv, newer event-based content). */
export const EVENT_SOURCES: Record<string, readonly string[]> = {
  'gen_ai.content.prompt': ['gen_ai.prompt'],
  'gen_ai.content.completion': ['gen_ai.completion'],
  'gen_ai.client.inference.operation.details': [ATTR_GEN_AI_INPUT_MESSAGES, ATTR_GEN_AI_OUTPUT_MESSAGES],
}

/** Sources whose value is converted before use: milliseconds given where nanoseconds are stored. */
export const MILLISECOND_SOURCES: ReadonlySet<string> = new Set([
  TTFT_MS,
  'ai.response.msToFirstChunk',
  'ai.stream.msToFirstChunk',
])

/** Sources that give the first token's absolute time (ISO 8601, possibly JSON-quoted): TTFT = it − the span's start. */
export const TIMESTAMP_SOURCES: ReadonlySet<string> = new Set(['langfuse.observation.completion_start_time'])

/** Sources whose input count EXCLUDES cached tokens (disjoint usage buckets); the normalizer adds cache read+write to them. */
export const INPUT_EXCLUDES_CACHE: ReadonlySet<string> = new Set(['langfuse.observation.usage_details#input'])

/** Vercel AI SDK provider ids carry the API flavour ('openai.chat', 'anthropic.messages'); the provider is the first segment. */
export const FIRST_SEGMENT_SOURCES: ReadonlySet<string> = new Set(['ai.model.provider'])

/**
 * `convention` column: the first family whose marker prefix appears among the span's attribute
 * keys, in this order. Gateway spans also carry gen_ai.*; frameworks' spans carry their own keys.
 */
export const CONVENTION_MARKERS: readonly { convention: string; prefixes: readonly string[] }[] = [
  { convention: 'loopgate', prefixes: ['loopgate.'] },
  { convention: 'langfuse', prefixes: ['langfuse.'] },
  {
    convention: 'openinference',
    prefixes: ['openinference.', 'llm.model_name', 'llm.token_count.', 'llm.input_messages.', 'llm.provider'],
  },
  {
    convention: 'traceloop',
    prefixes: ['traceloop.', 'llm.request.type', 'llm.usage.', 'gen_ai.prompt.', 'gen_ai.completion.'],
  },
  { convention: 'vercel_ai', prefixes: ['ai.'] },
  { convention: 'genai', prefixes: ['gen_ai.'] },
]
