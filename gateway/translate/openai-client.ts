import { badRequest } from '../errors.ts'

/** An OpenAI-speaking client served by an Anthropic-protocol target. */

type Json = Record<string, unknown>
type Part = { type?: string; text?: string; image_url?: { url?: string } | string }
type ToolCall = { id?: string; function?: { name?: string; arguments?: string } }
type OpenAiMessage = {
  role?: string
  content?: string | Part[] | null
  tool_calls?: ToolCall[]
  tool_call_id?: string
  name?: string
}

const DEFAULT_MAX_TOKENS = 4096

function textOf(content: OpenAiMessage['content']): string {
  if (typeof content === 'string') return content
  return (content ?? []).map((p) => (p.type === 'text' ? (p.text ?? '') : '')).join('')
}

function imageBlock(url: string): Json {
  const m = /^data:([^;]+);base64,(.*)$/s.exec(url)
  return m
    ? { type: 'image', source: { type: 'base64', media_type: m[1], data: m[2] } }
    : { type: 'image', source: { type: 'url', url } }
}

function userBlocks(content: OpenAiMessage['content']): Json[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }]
  return (content ?? []).map((p) => {
    if (p.type === 'image_url')
      return imageBlock(typeof p.image_url === 'string' ? p.image_url : (p.image_url?.url ?? ''))
    return { type: 'text', text: p.text ?? '' }
  })
}

function parseArgs(args: string | undefined): unknown {
  try {
    return JSON.parse(args || '{}')
  } catch {
    return { _raw: args }
  }
}

export function toAnthropicRequest(body: Json): Json {
  if (typeof body.n === 'number' && body.n > 1)
    throw badRequest("'n' > 1 is not supported by this route's Anthropic target", 'n')
  const system: string[] = []
  const messages: { role: string; content: Json[] }[] = []
  const push = (role: string, blocks: Json[]) => {
    const last = messages[messages.length - 1]
    if (last && last.role === role) last.content.push(...blocks)
    else messages.push({ role, content: blocks })
  }
  for (const m of (body.messages ?? []) as OpenAiMessage[]) {
    if (m.role === 'system' || m.role === 'developer') system.push(textOf(m.content))
    else if (m.role === 'user') push('user', userBlocks(m.content))
    else if (m.role === 'tool')
      push('user', [{ type: 'tool_result', tool_use_id: m.tool_call_id, content: textOf(m.content) }])
    else if (m.role === 'assistant') {
      const blocks: Json[] = []
      const text = textOf(m.content)
      if (text) blocks.push({ type: 'text', text })
      for (const t of m.tool_calls ?? [])
        blocks.push({ type: 'tool_use', id: t.id, name: t.function?.name, input: parseArgs(t.function?.arguments) })
      if (blocks.length) push('assistant', blocks)
    }
  }
  const rf = body.response_format as { type?: string; json_schema?: { schema?: unknown } } | undefined
  if (rf?.type === 'json_object') system.push('Respond with a single JSON object and nothing else.')
  if (rf?.type === 'json_schema')
    system.push(
      `Respond with a single JSON object matching this JSON schema and nothing else: ${JSON.stringify(rf.json_schema?.schema ?? {})}`,
    )

  const out: Json = {
    model: body.model,
    messages,
    max_tokens: body.max_completion_tokens ?? body.max_tokens ?? DEFAULT_MAX_TOKENS,
  }
  if (system.length) out.system = system.join('\n\n')
  if (body.temperature !== undefined && body.temperature !== null)
    out.temperature = Math.min(1, Number(body.temperature))
  if (body.top_p !== undefined && body.top_p !== null) out.top_p = body.top_p
  if (body.stop) out.stop_sequences = Array.isArray(body.stop) ? body.stop : [body.stop]
  if (body.stream === true) out.stream = true
  if (typeof body.user === 'string') out.metadata = { user_id: body.user }
  const tools = body.tools as { function?: { name?: string; description?: string; parameters?: unknown } }[] | undefined
  if (tools?.length) {
    out.tools = tools.map((t) => ({
      name: t.function?.name,
      description: t.function?.description,
      input_schema: t.function?.parameters ?? { type: 'object', properties: {} },
    }))
    const tc = body.tool_choice as string | { function?: { name?: string } } | undefined
    const choice: Json | undefined =
      tc === 'none'
        ? { type: 'none' }
        : tc === 'required'
          ? { type: 'any' }
          : typeof tc === 'object'
            ? { type: 'tool', name: tc.function?.name }
            : tc === 'auto'
              ? { type: 'auto' }
              : undefined
    if (body.parallel_tool_calls === false)
      out.tool_choice = { ...(choice ?? { type: 'auto' }), disable_parallel_tool_use: true }
    else if (choice) out.tool_choice = choice
  }
  return out
}

const FINISH: Record<string, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
  pause_turn: 'stop',
}
export const openAiFinishReason = (stop: string | null | undefined) => (stop ? (FINISH[stop] ?? 'stop') : null)

type AnthropicMessage = {
  id?: string
  model?: string
  stop_reason?: string | null
  content?: { type?: string; text?: string; id?: string; name?: string; input?: unknown }[]
  usage?: {
    input_tokens?: number
    output_tokens?: number
    cache_read_input_tokens?: number | null
    cache_creation_input_tokens?: number | null
  }
}

export function openAiUsageFromAnthropic(u: AnthropicMessage['usage']): Json {
  const cacheRead = u?.cache_read_input_tokens ?? 0
  const input = (u?.input_tokens ?? 0) + cacheRead + (u?.cache_creation_input_tokens ?? 0)
  const output = u?.output_tokens ?? 0
  return {
    prompt_tokens: input,
    completion_tokens: output,
    total_tokens: input + output,
    prompt_tokens_details: { cached_tokens: cacheRead },
  }
}

export function fromAnthropicResponse(msg: AnthropicMessage): Json {
  const text = (msg.content ?? [])
    .filter((b) => b.type === 'text')
    .map((b) => b.text ?? '')
    .join('')
  const toolCalls = (msg.content ?? [])
    .filter((b) => b.type === 'tool_use')
    .map((b) => ({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } }))
  const message: Json = { role: 'assistant', content: text || (toolCalls.length ? null : ''), refusal: null }
  if (toolCalls.length) message.tool_calls = toolCalls
  return {
    id: msg.id ?? 'chatcmpl-loopgate',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: msg.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: openAiFinishReason(msg.stop_reason) ?? 'stop' }],
    usage: openAiUsageFromAnthropic(msg.usage),
  }
}
