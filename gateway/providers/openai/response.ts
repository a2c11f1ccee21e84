import { emptyFacts, type ResponseFacts, type Usage } from '../types.ts'

type OpenAiUsage = {
  prompt_tokens?: number
  completion_tokens?: number
  prompt_tokens_details?: { cached_tokens?: number } | null
}
type Choice = {
  finish_reason?: string | null
  message?: { content?: unknown; tool_calls?: { function?: { name?: string; arguments?: string } }[] }
}

export function openAiUsage(u: OpenAiUsage | null | undefined): Usage {
  return {
    input: u?.prompt_tokens ?? 0,
    output: u?.completion_tokens ?? 0,
    cacheRead: u?.prompt_tokens_details?.cached_tokens ?? 0,
    cacheWrite: 0,
  }
}

export function readOpenAiResponse(json: unknown, capture: boolean): ResponseFacts {
  const body = (json ?? {}) as { model?: string; usage?: OpenAiUsage; choices?: Choice[]; data?: unknown[] }
  const facts = emptyFacts()
  facts.model = body.model
  facts.usage = openAiUsage(body.usage)
  for (const c of body.choices ?? []) {
    if (c.finish_reason) facts.finishReasons.push(c.finish_reason)
    if (!capture) continue
    if (typeof c.message?.content === 'string') facts.outputText += c.message.content
    for (const t of c.message?.tool_calls ?? [])
      facts.toolCalls.push({ name: String(t.function?.name), arguments: String(t.function?.arguments ?? '') })
  }
  return facts
}
