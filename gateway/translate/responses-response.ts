import { randomBytes } from 'node:crypto'

/** Chat-completions answers → Responses API objects (whole and, in stream-chat-to-responses.ts, streamed). */

type Json = Record<string, unknown>
export type ChatUsage =
  | {
      prompt_tokens?: number
      completion_tokens?: number
      prompt_tokens_details?: { cached_tokens?: number } | null
      completion_tokens_details?: { reasoning_tokens?: number } | null
    }
  | null
  | undefined
type ChatCompletion = {
  id?: string
  model?: string
  created?: number
  choices?: {
    finish_reason?: string | null
    message?: {
      content?: string | null
      refusal?: string | null
      tool_calls?: { id?: string; function?: { name?: string; arguments?: string } }[]
    }
  }[]
  usage?: ChatUsage
}

/** An id in OpenAI's style: `resp_…`, `msg_…`, `fc_…`. */
export const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`

export function responsesUsageFromChat(u: ChatUsage): Json {
  const input = u?.prompt_tokens ?? 0
  const output = u?.completion_tokens ?? 0
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u?.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: u?.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: input + output,
  }
}

/** Status and incomplete_details from a chat finish reason. */
export function statusOf(finish: string | null | undefined): {
  status: string
  incomplete_details: { reason: string } | null
} {
  if (finish === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } }
  if (finish === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } }
  return { status: 'completed', incomplete_details: null }
}

/** The response object's fields that echo the request, in OpenAI's order; output, usage and status are filled in by the caller. */
export function responseShell(request: Json, id: string, model: unknown, createdAt: number): Json {
  const text = request.text as Json | undefined
  return {
    id,
    object: 'response',
    created_at: createdAt,
    status: 'in_progress',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    model,
    output: [],
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    store: request.store ?? true,
    temperature: request.temperature ?? 1,
    text: { format: { type: 'text' }, ...text },
    tool_choice: request.tool_choice ?? 'auto',
    tools: request.tools ?? [],
    top_p: request.top_p ?? 1,
    truncation: request.truncation ?? 'disabled',
    usage: null,
    user: request.user ?? null,
    metadata: request.metadata ?? {},
  }
}

export const messageItem = (id: string, status: string, content: Json[]): Json => ({
  id,
  type: 'message',
  status,
  role: 'assistant',
  content,
})

export const outputTextPart = (text: string): Json => ({ type: 'output_text', annotations: [], logprobs: [], text })

export const functionCallItem = (id: string, callId: string, name: string, args: string, status: string): Json => ({
  id,
  type: 'function_call',
  status,
  arguments: args,
  call_id: callId,
  name,
})

/** A whole chat completion → a whole response object. */
export function fromChatCompletion(c: ChatCompletion, request: Json): Json {
  const choice = c.choices?.[0]
  const output: Json[] = []
  const m = choice?.message
  if (m?.content) output.push(messageItem(newId('msg'), 'completed', [outputTextPart(m.content)]))
  else if (m?.refusal) output.push(messageItem(newId('msg'), 'completed', [{ type: 'refusal', refusal: m.refusal }]))
  for (const t of m?.tool_calls ?? [])
    output.push(
      functionCallItem(
        newId('fc'),
        t.id ?? newId('call'),
        String(t.function?.name ?? ''),
        t.function?.arguments ?? '',
        'completed',
      ),
    )
  const r = responseShell(request, newId('resp'), c.model ?? request.model, c.created ?? Math.floor(Date.now() / 1000))
  Object.assign(r, statusOf(choice?.finish_reason), { output, usage: responsesUsageFromChat(c.usage) })
  return r
}
