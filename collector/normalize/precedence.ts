// THE precedence table: for each canonical column, the attribute sources in order; the first
// one present (non-empty) on the span wins, then the same list over the resource attributes.
// docs/normalization.md lists exactly these sources (a test compares them), so keep both in step.
//
// Source notation:
//   'a.b.c'            a span attribute (events named in EVENT_SOURCES can also supply it)
//   'a.b#field'        field `field` of the JSON object stored in attribute a.b
//   'a.{i}.b'          indexed attributes assembled into a JSON message list (see messages.ts)
export const precedence = {
  tenant_id: ['loopgate.tenant.id'],
  session_id: [
    'session.id', 'gen_ai.conversation.id', 'langfuse.session.id',
    'traceloop.association.properties.session_id', 'ai.telemetry.metadata.sessionId', 'ai.telemetry.metadata.session_id',
  ],
  user_id: [
    'user.id', 'enduser.id', 'langfuse.user.id',
    'traceloop.association.properties.user_id', 'ai.telemetry.metadata.userId', 'ai.telemetry.metadata.user_id',
  ],
  operation: [
    'gen_ai.operation.name', 'llm.request.type', 'ai.operationId',
    'openinference.span.kind', 'traceloop.span.kind', 'langfuse.observation.type',
  ],
  span_type: [
    'openinference.span.kind', 'langfuse.observation.type', 'traceloop.span.kind',
    'ai.operationId', 'gen_ai.operation.name', 'llm.request.type',
  ],
  provider: ['gen_ai.provider.name', 'ai.model.provider', 'gen_ai.system', 'llm.provider', 'llm.system'],
  request_model: ['gen_ai.request.model', 'ai.model.id', 'llm.model_name', 'langfuse.observation.model.name'],
  response_model: ['gen_ai.response.model', 'ai.response.model', 'llm.model_name', 'langfuse.observation.model.name'],
  input_tokens: [
    'gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'llm.token_count.prompt',
    'ai.usage.inputTokens', 'ai.usage.promptTokens', 'langfuse.observation.usage_details#input',
  ],
  output_tokens: [
    'gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens', 'llm.token_count.completion',
    'ai.usage.outputTokens', 'ai.usage.completionTokens', 'langfuse.observation.usage_details#output',
  ],
  cache_read_tokens: [
    'gen_ai.usage.cache_read.input_tokens', 'gen_ai.usage.cache_read_input_tokens', 'llm.token_count.prompt_details.cache_read',
    'ai.usage.inputTokenDetails.cacheReadTokens', 'ai.usage.cachedInputTokens',
    'langfuse.observation.usage_details#cache_read_input_tokens', 'langfuse.observation.usage_details#input_cached_tokens',
    'langfuse.observation.usage_details#input_cache_read',
  ],
  cache_write_tokens: [
    'gen_ai.usage.cache_creation.input_tokens', 'gen_ai.usage.cache_creation_input_tokens', 'llm.token_count.prompt_details.cache_write',
    'ai.usage.inputTokenDetails.cacheWriteTokens',
    'langfuse.observation.usage_details#cache_creation_input_tokens', 'langfuse.observation.usage_details#input_cache_creation',
  ],
  cost_usd: [
    'loopgate.cost_usd', 'gen_ai.usage.cost', 'llm.cost.total', 'langfuse.observation.cost_details#total', 'ai.usage.cost',
  ],
  input_text: [
    'gen_ai.input.messages', 'gen_ai.prompt', 'input.value', 'llm.input_messages.{i}.message', 'gen_ai.prompt.{i}',
    'ai.prompt.messages', 'ai.prompt', 'langfuse.observation.input', 'traceloop.entity.input',
  ],
  output_text: [
    'gen_ai.output.messages', 'gen_ai.completion', 'output.value', 'llm.output_messages.{i}.message', 'gen_ai.completion.{i}',
    'ai.response.text', 'ai.response.object', 'langfuse.observation.output', 'traceloop.entity.output',
  ],
  finish_reason: ['gen_ai.response.finish_reasons', 'ai.response.finishReason', 'gen_ai.completion.0.finish_reason', 'llm.finish_reason'],
  route: ['loopgate.route'],
  target: ['loopgate.target'],
  routing_version: ['loopgate.routing.version'],
  attempt: ['loopgate.attempt'],
  ttft_ns: [
    'loopgate.ttft_ns', 'loopgate.ttft_ms', 'ai.response.msToFirstChunk', 'ai.stream.msToFirstChunk',
    'langfuse.observation.completion_start_time',
  ],
  error: ['error.type'],
} as const satisfies Record<string, readonly string[]>

export type Column = keyof typeof precedence

/** Span events whose attributes can supply a source the span itself lacks (older GenAI semconv, newer event-based content). */
export const EVENT_SOURCES: Record<string, readonly string[]> = {
  'gen_ai.content.prompt': ['gen_ai.prompt'],
  'gen_ai.content.completion': ['gen_ai.completion'],
  'gen_ai.client.inference.operation.details': ['gen_ai.input.messages', 'gen_ai.output.messages'],
}

/** Sources whose value is converted before use: milliseconds given where nanoseconds are stored. */
export const MILLISECOND_SOURCES: ReadonlySet<string> = new Set(['loopgate.ttft_ms', 'ai.response.msToFirstChunk', 'ai.stream.msToFirstChunk'])

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
  { convention: 'openinference', prefixes: ['openinference.', 'llm.model_name', 'llm.token_count.', 'llm.input_messages.', 'llm.provider'] },
  { convention: 'traceloop', prefixes: ['traceloop.', 'llm.request.type', 'llm.usage.', 'gen_ai.prompt.', 'gen_ai.completion.'] },
  { convention: 'vercel_ai', prefixes: ['ai.'] },
  { convention: 'genai', prefixes: ['gen_ai.'] },
]
