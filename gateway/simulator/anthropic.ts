import type { ServerResponse } from 'node:http'
import { countTokens, planAnswer } from './answer.ts'
import type { ModelProfile, StreamEnding } from './profiles.ts'
import { sendJson, startSse, writeFrames } from './wire.ts'

type Body = Record<string, unknown>
type Block = { type?: string; text?: string; content?: unknown }

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
}

export function anthropicError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(
    res,
    status,
    {
      type: 'error',
      error: { type: ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'), message },
    },
    headers,
  )
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return (content as Block[])
    .map((b) => (b.type === 'text' ? String(b.text) : b.type === 'tool_result' ? textOf(b.content) : ''))
    .join(' ')
}

/** `/v1/messages/count_tokens`: the simulator's own rule, ~4 characters a token of system, message texts and tool JSON. */
export function anthropicCountTokens(res: ServerResponse, body: Body): void {
  const messages = (Array.isArray(body.messages) ? body.messages : []) as { content?: unknown }[]
  if (!messages.length) return anthropicError(res, 400, 'messages: at least one message is required')
  const parts = [textOf(body.system), ...messages.map((m) => textOf(m.content))]
  if (Array.isArray(body.tools) && body.tools.length) parts.push(JSON.stringify(body.tools))
  sendJson(res, 200, { input_tokens: countTokens(parts.join('\n')) })
}

export async function anthropicMessages(
  res: ServerResponse,
  body: Body,
  p: ModelProfile,
  expected: string | undefined,
  ending: StreamEnding,
): Promise<void> {
  const messages = (Array.isArray(body.messages) ? body.messages : []) as { role?: string; content?: unknown }[]
  if (!messages.length) return anthropicError(res, 400, 'messages: at least one message is required')
  if (typeof body.max_tokens !== 'number') return anthropicError(res, 400, 'max_tokens: Field required')
  const model = String(body.model)
  const promptText = [textOf(body.system), ...messages.map((m) => textOf(m.content))].join('\n')
  const last = messages[messages.length - 1]
  const afterToolResult =
    Array.isArray(last?.content) && (last.content as Block[]).some((b) => b.type === 'tool_result')
  const tools = (Array.isArray(body.tools) ? body.tools : []) as { name?: string; input_schema?: unknown }[]
  const tc = body.tool_choice as { type?: string; name?: string } | undefined
  const toolChoice =
    tc?.type === 'none'
      ? 'none'
      : tc?.type === 'any'
        ? 'required'
        : tc?.type === 'tool'
          ? { name: String(tc.name) }
          : 'auto'
  const answer = planAnswer({
    model,
    promptText,
    maxTokens: body.max_tokens,
    afterToolResult,
    jsonMode: false,
    tools: tools.map((t) => ({ name: String(t.name), schema: t.input_schema })),
    toolChoice,
    expectedAnswer: expected,
    quality: p.quality,
    outputTokens: p.outputTokens,
  })
  const inputTokens = countTokens(promptText)
  const outputTokens = answer.pieces.length
  const stopReason = answer.kind === 'tool' ? 'tool_use' : answer.finish === 'length' ? 'max_tokens' : 'end_turn'
  const id = `msg_${Math.random().toString(36).slice(2, 14)}`
  const usage = {
    input_tokens: inputTokens,
    output_tokens: outputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  }

  if (body.stream !== true) {
    const content =
      answer.kind === 'tool'
        ? [
            {
              type: 'tool_use',
              id: answer.id.replace('call_', 'toolu_'),
              name: answer.name,
              input: JSON.parse(answer.arguments),
            },
          ]
        : [{ type: 'text', text: answer.pieces.join('') }]
    return sendJson(res, 200, {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      usage,
    })
  }

  const ev = (type: string, data: Record<string, unknown>) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`
  const block =
    answer.kind === 'tool'
      ? { type: 'tool_use', id: answer.id.replace('call_', 'toolu_'), name: answer.name, input: {} }
      : { type: 'text', text: '' }
  const head = [
    ev('message_start', {
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    }),
    ev('content_block_start', { index: 0, content_block: block }),
    ev('ping', {}),
  ]
  const middle = answer.pieces.map((piece) =>
    ev('content_block_delta', {
      index: 0,
      delta:
        answer.kind === 'tool'
          ? { type: 'input_json_delta', partial_json: piece }
          : { type: 'text_delta', text: piece },
    }),
  )
  const tail = [
    ev('content_block_stop', { index: 0 }),
    ev('message_delta', {
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: outputTokens },
    }),
    ev('message_stop', {}),
  ]
  startSse(res)
  await writeFrames(res, head, middle, tail, p.tokensPerSecond, ending)
}
