import { emptyFacts, type ResponseFacts, type Usage } from '../types.ts'

export type ResponsesUsage = {
  input_tokens?: number
  output_tokens?: number
  input_tokens_details?: { cached_tokens?: number | null; cache_write_tokens?: number | null } | null
} | null

export type ResponsesItem = {
  type?: string
  id?: string
  call_id?: string
  name?: string
  arguments?: string
  status?: string
  content?: { type?: string; text?: string; refusal?: string }[]
}

export type ResponseObject = {
  id?: string
  model?: string
  status?: string
  usage?: ResponsesUsage
  output?: ResponsesItem[]
  incomplete_details?: { reason?: string } | null
  error?: { code?: string | null; message?: string } | null
}

/** Responses' input_tokens include cached ones, like ours. */
export function responsesUsage(u: ResponsesUsage | undefined): Usage {
  return {
    input: u?.input_tokens ?? 0,
    output: u?.output_tokens ?? 0,
    cacheRead: u?.input_tokens_details?.cached_tokens ?? 0,
    cacheWrite: u?.input_tokens_details?.cache_write_tokens ?? 0,
  }
}

/** The finish reason a span records: the response's status, or why it is incomplete. */
export function responsesFinishReason(r: ResponseObject): string | undefined {
  if (r.status === 'incomplete') return r.incomplete_details?.reason ?? 'incomplete'
  if (r.output?.some((i) => i.type === 'function_call')) return 'tool_calls'
  return r.status
}

/** Text and tool calls of the output items, for capture. */
export function collectOutput(facts: ResponseFacts, output: ResponsesItem[] | undefined): void {
  for (const item of output ?? []) {
    if (item.type === 'message')
      for (const c of item.content ?? [])
        facts.outputText += c.type === 'output_text' ? (c.text ?? '') : c.type === 'refusal' ? (c.refusal ?? '') : ''
    else if (item.type === 'function_call')
      facts.toolCalls.push({ name: String(item.name), arguments: item.arguments ?? '' })
  }
}

export function readResponsesResponse(json: unknown, capture: boolean): ResponseFacts {
  const body = (json ?? {}) as ResponseObject
  const facts = emptyFacts()
  facts.model = body.model
  facts.usage = responsesUsage(body.usage)
  const finish = responsesFinishReason(body)
  if (finish) facts.finishReasons.push(finish)
  if (capture) collectOutput(facts, body.output)
  return facts
}
