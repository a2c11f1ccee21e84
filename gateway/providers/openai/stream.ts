import type { SseFrame } from '../../sse.ts'
import { emptyFacts, type RelayOptions, type StreamRelay } from '../types.ts'
import { COMMON_CHUNK } from './chunk-shape.ts'
import { openAiUsage } from './response.ts'

type Chunk = {
  model?: string
  usage?: Parameters<typeof openAiUsage>[0]
  choices?: {
    finish_reason?: string | null
    delta?: {
      content?: string | null
      tool_calls?: { index?: number; function?: { name?: string; arguments?: string } }[]
    }
  }[]
}

/**
 * OpenAI → OpenAI: frames leave byte for byte, except the usage-only chunk the gateway asked for
 * on the client's behalf (dropped unless the client asked too).
 */
export class OpenAiPassthroughRelay implements StreamRelay {
  readonly facts = emptyFacts()
  firstTokenAt: number | undefined

  constructor(private readonly options: RelayOptions) {}

  frame(frame: SseFrame): string {
    if (frame.data === '[DONE]') return frame.raw
    // The common text chunk: its facts read from one match, no object tree built.
    const m = COMMON_CHUNK.exec(frame.data)
    if (m) {
      observeCommonChunk(this, m, this.options.capture)
      return frame.raw
    }
    let chunk: Chunk
    try {
      chunk = JSON.parse(frame.data) as Chunk
    } catch {
      return frame.raw
    }
    observeOpenAiChunk(this, chunk, this.options.capture)
    if (chunk.usage && chunk.choices?.length === 0 && !this.options.clientWantsUsage) return ''
    return frame.raw
  }

  finish(): string {
    return ''
  }
}

/** What `observeOpenAiChunk` records of a chunk matched by `COMMON_CHUNK` (one choice, text only). */
function observeCommonChunk(relay: StreamRelay, m: RegExpExecArray, capture: boolean): void {
  const facts = relay.facts
  const model = m[1]
  if (model && !facts.model) facts.model = model
  const content = m[2]
  if (content) {
    relay.firstTokenAt ??= performance.now()
    facts.deltas++
    if (capture) facts.outputText += content.includes('\\') ? (JSON.parse(`"${content}"`) as string) : content
  }
  if (m[3]) facts.finishReasons.push(m[3])
}

/** Shared by the pass-through and the OpenAI → Anthropic translation. */
export function observeOpenAiChunk(relay: StreamRelay, chunk: Chunk, capture: boolean): void {
  const facts = relay.facts
  if (chunk.model && !facts.model) facts.model = chunk.model
  if (chunk.usage) facts.usage = openAiUsage(chunk.usage)
  for (const c of chunk.choices ?? []) {
    const d = c.delta
    if (d && (d.content || d.tool_calls?.length)) {
      relay.firstTokenAt ??= performance.now()
      facts.deltas++
    }
    if (c.finish_reason) facts.finishReasons.push(c.finish_reason)
    if (!capture || !d) continue
    if (d.content) facts.outputText += d.content
    for (const t of d.tool_calls ?? []) {
      const i = t.index ?? 0
      const call = (facts.toolCalls[i] ??= { name: '', arguments: '' })
      if (t.function?.name) call.name = t.function.name
      if (t.function?.arguments) call.arguments += t.function.arguments
    }
  }
}
