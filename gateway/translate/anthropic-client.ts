/** An Anthropic-speaking client served by an OpenAI-protocol target. */

type Json = Record<string, unknown>
type Block = {
  type?: string
  text?: string
  source?: { type?: string; media_type?: string; data?: string; url?: string }
  id?: string
  name?: string
  input?: unknown
  tool_use_id?: string
  content?: unknown
}
type AnthropicMessage = { role?: string; content?: string | Block[] }

function blocksText(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return (content as Block[]).map((b) => (b.type === 'text' ? (b.text ?? '') : '')).join('')
}

function imagePart(b: Block): Json {
  const s = b.source ?? {}
  const url = s.type === 'base64' ? `data:${s.media_type};base64,${s.data}` : String(s.url)
  return { type: 'image_url', image_url: { url } }
}

export function toOpenAiRequest(body: Json): Json {
  const messages: Json[] = []
  const system = blocksText(body.system)
  if (system) messages.push({ role: 'system', content: system })
  for (const m of (body.messages ?? []) as AnthropicMessage[]) {
    if (typeof m.content === 'string') {
      messages.push({ role: m.role, content: m.content })
      continue
    }
    const blocks = m.content ?? []
    if (m.role === 'assistant') {
      const text = blocks
        .filter((b) => b.type === 'text')
        .map((b) => b.text ?? '')
        .join('')
      const calls = blocks
        .filter((b) => b.type === 'tool_use')
        .map((b) => ({
          id: b.id,
          type: 'function',
          function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) },
        }))
      messages.push({ role: 'assistant', content: text || null, ...(calls.length ? { tool_calls: calls } : {}) })
      continue
    }
    // Tool results become `tool` messages, which OpenAI wants right after the assistant's calls.
    for (const b of blocks)
      if (b.type === 'tool_result')
        messages.push({ role: 'tool', tool_call_id: b.tool_use_id, content: blocksText(b.content) })
    const parts = blocks
      .filter((b) => b.type === 'text' || b.type === 'image')
      .map((b) => (b.type === 'image' ? imagePart(b) : { type: 'text', text: b.text ?? '' }))
    if (parts.length) messages.push({ role: 'user', content: parts })
  }
  const out: Json = { model: body.model, messages, max_tokens: body.max_tokens }
  if (body.temperature !== undefined) out.temperature = body.temperature
  if (body.top_p !== undefined) out.top_p = body.top_p
  if (Array.isArray(body.stop_sequences) && body.stop_sequences.length) out.stop = body.stop_sequences
  if (body.stream === true) out.stream = true
  const meta = body.metadata as { user_id?: string } | undefined
  if (meta?.user_id) out.user = meta.user_id
  const tools = body.tools as { name?: string; description?: string; input_schema?: unknown }[] | undefined
  if (tools?.length) {
    out.tools = tools.map((t) => ({
      type: 'function',
      function: { name: t.name, description: t.description, parameters: t.input_schema },
    }))
    const tc = body.tool_choice as { type?: string; name?: string; disable_parallel_tool_use?: boolean } | undefined
    if (tc?.type === 'any') out.tool_choice = 'required'
    else if (tc?.type === 'none') out.tool_choice = 'none'
    else if (tc?.type === 'tool') out.tool_choice = { type: 'function', function: { name: tc.name } }
    else if (tc?.type === 'auto') out.tool_choice = 'auto'
    if (tc?.disable_parallel_tool_use) out.parallel_tool_calls = false
  }
  return out
}

const STOP: Record<string, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'refusal',
}
export const anthropicStopReason = (finish: string | null | undefined) =>
  finish ? (STOP[finish] ?? 'end_turn') : 'end_turn'

type OpenAiCompletion = {
  id?: string
  model?: string
  choices?: {
    finish_reason?: string | null
    message?: {
      content?: string | null
      tool_calls?: { id?: string; function?: { name?: string; arguments?: string } }[]
    }
  }[]
  usage?: {
    prompt_tokens?: number
    completion_tokens?: number
    prompt_tokens_details?: { cached_tokens?: number } | null
  }
}

export function anthropicUsageFromOpenAi(u: OpenAiCompletion['usage']): Json {
  const cached = u?.prompt_tokens_details?.cached_tokens ?? 0
  return {
    input_tokens: (u?.prompt_tokens ?? 0) - cached,
    output_tokens: u?.completion_tokens ?? 0,
    cache_read_input_tokens: cached,
    cache_creation_input_tokens: 0,
  }
}

function parseArgs(args: string | undefined): unknown {
  try {
    return JSON.parse(args || '{}')
  } catch {
    return { _raw: args }
  }
}

export function fromOpenAiResponse(c: OpenAiCompletion): Json {
  const choice = c.choices?.[0]
  const content: Json[] = []
  if (choice?.message?.content) content.push({ type: 'text', text: choice.message.content })
  for (const t of choice?.message?.tool_calls ?? [])
    content.push({ type: 'tool_use', id: t.id, name: t.function?.name, input: parseArgs(t.function?.arguments) })
  return {
    id: c.id ?? 'msg_loopgate',
    type: 'message',
    role: 'assistant',
    model: c.model,
    content,
    stop_reason: anthropicStopReason(choice?.finish_reason),
    stop_sequence: null,
    usage: anthropicUsageFromOpenAi(c.usage),
  }
}
