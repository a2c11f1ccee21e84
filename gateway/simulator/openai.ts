import type { ServerResponse } from 'node:http'
import { MAX_EMBEDDING_DIMENSIONS, MAX_EMBEDDING_INPUTS, MAX_N } from '../../lib/limits.ts'
import { countTokens, embed, planAnswer, toBase64Floats, type Answer } from './answer.ts'
import type { ModelProfile, StreamEnding } from './profiles.ts'
import { sendJson, startSse, textOf, writeFrames } from './wire.ts'

type Body = Record<string, unknown>
type Msg = { role?: string; content?: unknown; tool_calls?: unknown }

export function openAiError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  const type =
    status === 429
      ? 'rate_limit_exceeded'
      : status === 401
        ? 'invalid_request_error'
        : status >= 500
          ? 'server_error'
          : 'invalid_request_error'
  sendJson(
    res,
    status,
    { error: { message, type, param: null, code: status === 429 ? 'rate_limit_exceeded' : null } },
    headers,
  )
}

export async function openAiChat(
  res: ServerResponse,
  body: Body,
  p: ModelProfile,
  expected: string | undefined,
  ending: StreamEnding,
): Promise<void> {
  const messages = (Array.isArray(body.messages) ? body.messages : []) as Msg[]
  const model = String(body.model)
  if (!messages.length) return openAiError(res, 400, "'messages' must be a non-empty array")
  const promptText = messages.map((m) => textOf(m.content)).join('\n')
  const tools = (Array.isArray(body.tools) ? body.tools : []) as {
    function?: { name?: string; parameters?: unknown }
  }[]
  const tc = body.tool_choice as unknown
  const toolChoice =
    tc === 'none' || tc === 'required'
      ? tc
      : tc && typeof tc === 'object'
        ? { name: String((tc as { function?: { name?: string } }).function?.name) }
        : 'auto'
  const rf = body.response_format as { type?: string } | undefined
  const maxTokens = (body.max_completion_tokens ?? body.max_tokens) as number | undefined
  const n = body.n ?? 1
  // The simulator builds every choice in memory: it refuses what no gateway would forward.
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_N)
    return openAiError(res, 400, `'n' must be an integer from 1 to ${MAX_N}`)
  const answers: Answer[] = Array.from({ length: n }, () =>
    planAnswer({
      model,
      promptText,
      maxTokens,
      tools: tools.map((t) => ({ name: String(t.function?.name), schema: t.function?.parameters })),
      toolChoice: toolChoice as 'auto',
      afterToolResult: messages[messages.length - 1]?.role === 'tool',
      jsonMode: rf?.type === 'json_object' || rf?.type === 'json_schema',
      expectedAnswer: expected,
      quality: p.quality,
      outputTokens: p.outputTokens,
    }),
  )
  const inputTokens = countTokens(promptText)
  const outputTokens = answers.reduce((a, x) => a + x.pieces.length, 0)
  const usage = {
    prompt_tokens: inputTokens,
    completion_tokens: outputTokens,
    total_tokens: inputTokens + outputTokens,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  }
  const id = `chatcmpl-${Math.random().toString(36).slice(2, 14)}`
  const created = Math.floor(Date.now() / 1000)

  if (body.stream !== true) {
    const choices = answers.map((a, index) => ({
      index,
      message:
        a.kind === 'tool'
          ? {
              role: 'assistant',
              content: null,
              tool_calls: [{ id: a.id, type: 'function', function: { name: a.name, arguments: a.arguments } }],
              refusal: null,
            }
          : { role: 'assistant', content: a.pieces.join(''), refusal: null },
      logprobs: null,
      finish_reason: a.kind === 'tool' ? 'tool_calls' : a.finish,
    }))
    return sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model,
      choices,
      usage,
      system_fingerprint: 'fp_sim',
    })
  }

  const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true
  const frame = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_sim', choices, ...(includeUsage ? { usage: null } : {}), ...extra })}\n\n`
  const head = answers.map((_, index) =>
    frame([{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]),
  )
  const middle: string[] = []
  answers.forEach((a, index) => {
    a.pieces.forEach((piece, i) => {
      const delta =
        a.kind === 'tool'
          ? {
              tool_calls: [
                {
                  index: 0,
                  ...(i === 0
                    ? { id: a.id, type: 'function', function: { name: a.name, arguments: piece } }
                    : { function: { arguments: piece } }),
                },
              ],
            }
          : { content: piece }
      middle.push(frame([{ index, delta, logprobs: null, finish_reason: null }]))
    })
  })
  const tail = answers.map((a, index) =>
    frame([{ index, delta: {}, logprobs: null, finish_reason: a.kind === 'tool' ? 'tool_calls' : a.finish }]),
  )
  if (includeUsage) tail.push(frame([], { usage }))
  tail.push('data: [DONE]\n\n')
  startSse(res)
  await writeFrames(res, head, middle, tail, p.tokensPerSecond, ending)
}

export function openAiEmbeddings(res: ServerResponse, body: Body, p: ModelProfile): void {
  const input = body.input
  const inputs =
    typeof input === 'string'
      ? [input]
      : Array.isArray(input)
        ? input.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)))
        : undefined
  if (!inputs || !inputs.length) return openAiError(res, 400, "'input' must be a string or a non-empty array")
  if (inputs.length > MAX_EMBEDDING_INPUTS)
    return openAiError(res, 400, `'input' may hold at most ${MAX_EMBEDDING_INPUTS} items`)
  const dims = body.dimensions ?? p.embeddingDimensions
  if (typeof dims !== 'number' || !Number.isInteger(dims) || dims < 1 || dims > MAX_EMBEDDING_DIMENSIONS) {
    return openAiError(res, 400, `'dimensions' must be an integer from 1 to ${MAX_EMBEDDING_DIMENSIONS}`)
  }
  const base64 = body.encoding_format === 'base64'
  const data = inputs.map((text, index) => {
    const v = embed(text, dims)
    return { object: 'embedding', index, embedding: base64 ? toBase64Floats(v) : v }
  })
  const tokens = inputs.reduce((a, t) => a + countTokens(t), 0)
  sendJson(res, 200, {
    object: 'list',
    data,
    model: String(body.model),
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  })
}

export function openAiModels(res: ServerResponse, models: string[]): void {
  sendJson(res, 200, {
    object: 'list',
    data: models.map((id) => ({ id, object: 'model', created: 1700000000, owned_by: 'loopgate-simulator' })),
  })
}
