import type { ServerResponse } from 'node:http'
import { countTokens, planAnswer } from './answer.ts'
import { openAiError } from './openai.ts'
import type { ModelProfile, StreamEnding } from './profiles.ts'
import { sendJson, startSse, textOf, writeFrames } from './wire.ts'

type Body = Record<string, unknown>
type Item = { type?: string; role?: string; content?: unknown; output?: unknown }

/**
 * `/v1/responses`: OpenAI's Responses API, stateless like a `store: false` request — the simulator
 * keeps nothing, so `previous_response_id` and `item_reference` are refused (a gateway must resolve them).
 */
export async function openAiResponses(
  res: ServerResponse,
  body: Body,
  p: ModelProfile,
  expected: string | undefined,
  ending: StreamEnding,
): Promise<void> {
  const input = body.input
  if (typeof input !== 'string' && !Array.isArray(input))
    return openAiError(res, 400, "'input' must be a string or an array of items")
  if (body.previous_response_id)
    return openAiError(res, 400, 'the simulator keeps no responses: previous_response_id is not supported')
  const items = (typeof input === 'string' ? [{ type: 'message', role: 'user', content: input }] : input) as Item[]
  if (items.some((i) => i.type === 'item_reference'))
    return openAiError(res, 400, 'the simulator keeps no responses: item_reference is not supported')
  const model = String(body.model)
  const promptText = [
    textOf(body.instructions),
    ...items.map((i) => (i.type === 'function_call_output' ? textOf(i.output) : textOf(i.content))),
  ].join('\n')
  const tools = (
    (Array.isArray(body.tools) ? body.tools : []) as { type?: string; name?: string; parameters?: unknown }[]
  ).filter((t) => t.type === 'function')
  const tc = body.tool_choice as unknown
  const toolChoice =
    tc === 'none' || tc === 'required'
      ? tc
      : tc && typeof tc === 'object'
        ? { name: String((tc as { name?: string }).name) }
        : 'auto'
  const format = (body.text as { format?: { type?: string } } | undefined)?.format
  const answer = planAnswer({
    model,
    promptText,
    maxTokens: body.max_output_tokens as number | undefined,
    tools: tools.map((t) => ({ name: String(t.name), schema: t.parameters })),
    toolChoice: toolChoice as 'auto',
    afterToolResult: items[items.length - 1]?.type === 'function_call_output',
    jsonMode: format?.type === 'json_object' || format?.type === 'json_schema',
    expectedAnswer: expected,
    quality: p.quality,
    outputTokens: p.outputTokens,
  })
  const inputTokens = countTokens(promptText)
  const outputTokens = answer.pieces.length
  const usage = {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: inputTokens + outputTokens,
  }
  const rid = Math.random().toString(36).slice(2, 14)
  const id = `resp_sim${rid}`
  const itemId = answer.kind === 'tool' ? `fc_sim${rid}` : `msg_sim${rid}`
  const incomplete = answer.kind === 'text' && answer.finish === 'length'
  const base = {
    id,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: 'in_progress',
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model,
    output: [] as unknown[],
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: body.text ?? { format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_p: body.top_p ?? 1,
    truncation: 'disabled',
    usage: null as unknown,
    metadata: body.metadata ?? {},
  }
  const text = answer.pieces.join('')
  const part = { type: 'output_text', annotations: [], logprobs: [], text }
  const done =
    answer.kind === 'tool'
      ? {
          id: itemId,
          type: 'function_call',
          status: 'completed',
          arguments: answer.arguments,
          call_id: answer.id,
          name: answer.name,
        }
      : {
          id: itemId,
          type: 'message',
          status: incomplete ? 'incomplete' : 'completed',
          role: 'assistant',
          content: [part],
        }
  const final = {
    ...base,
    status: incomplete ? 'incomplete' : 'completed',
    incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
    output: [done],
    usage,
  }
  if (body.stream !== true) return sendJson(res, 200, final)

  let seq = 0
  const ev = (type: string, data: Record<string, unknown>) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`
  const at = { item_id: itemId, output_index: 0 }
  const head = [ev('response.created', { response: base }), ev('response.in_progress', { response: base })]
  const middle: string[] = []
  const tail: string[] = []
  if (answer.kind === 'tool') {
    head.push(
      ev('response.output_item.added', { output_index: 0, item: { ...done, status: 'in_progress', arguments: '' } }),
    )
    for (const piece of answer.pieces)
      middle.push(ev('response.function_call_arguments.delta', { ...at, delta: piece }))
    tail.push(ev('response.function_call_arguments.done', { ...at, name: answer.name, arguments: answer.arguments }))
  } else {
    head.push(
      ev('response.output_item.added', { output_index: 0, item: { ...done, status: 'in_progress', content: [] } }),
    )
    head.push(ev('response.content_part.added', { ...at, content_index: 0, part: { ...part, text: '' } }))
    for (const piece of answer.pieces)
      middle.push(ev('response.output_text.delta', { ...at, content_index: 0, delta: piece, logprobs: [] }))
    tail.push(ev('response.output_text.done', { ...at, content_index: 0, text, logprobs: [] }))
    tail.push(ev('response.content_part.done', { ...at, content_index: 0, part }))
  }
  tail.push(ev('response.output_item.done', { output_index: 0, item: done }))
  tail.push(ev(incomplete ? 'response.incomplete' : 'response.completed', { response: final }))
  startSse(res)
  await writeFrames(res, head, middle, tail, p.tokensPerSecond, ending)
}
