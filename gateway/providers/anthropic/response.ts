import { emptyFacts, type ResponseFacts, type Usage } from '../types.ts'

export type AnthropicUsage = {
  input_tokens?: number | null
  output_tokens?: number | null
  cache_read_input_tokens?: number | null
  cache_creation_input_tokens?: number | null
}
type Block = { type?: string; text?: string; name?: string; input?: unknown }

/** Anthropic's input_tokens exclude cache reads and writes; ours include them. */
export function anthropicUsage(u: AnthropicUsage | undefined): Usage {
  const cacheRead = u?.cache_read_input_tokens ?? 0
  const cacheWrite = u?.cache_creation_input_tokens ?? 0
  return {
    input: (u?.input_tokens ?? 0) + cacheRead + cacheWrite,
    output: u?.output_tokens ?? 0,
    cacheRead,
    cacheWrite,
  }
}

export function readAnthropicResponse(json: unknown, capture: boolean): ResponseFacts {
  const body = (json ?? {}) as {
    model?: string
    usage?: AnthropicUsage
    stop_reason?: string | null
    content?: Block[]
  }
  const facts = emptyFacts()
  facts.model = body.model
  facts.usage = anthropicUsage(body.usage)
  if (body.stop_reason) facts.finishReasons.push(body.stop_reason)
  if (capture) {
    for (const b of body.content ?? []) {
      if (b.type === 'text') facts.outputText += b.text ?? ''
      else if (b.type === 'tool_use')
        facts.toolCalls.push({ name: String(b.name), arguments: JSON.stringify(b.input ?? {}) })
    }
  }
  return facts
}
