import type { SseFrame } from '../../sse.ts'
import { emptyFacts, type RelayOptions, type StreamRelay } from '../types.ts'
import { OpenAiChunkScanner } from './chunk-scan.ts'
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

  /** Without capture only counts and the usage chunk matter: the chunks are scanned, not parsed. */
  private readonly scanner: OpenAiChunkScanner | undefined

  constructor(private readonly options: RelayOptions) {
    if (!options.capture) this.scanner = new OpenAiChunkScanner()
  }

  frame(frame: SseFrame): string {
    if (frame.data === '[DONE]') return frame.raw
    const scanner = this.scanner
    if (scanner?.scan(frame.data, !this.facts.model)) {
      const facts = this.facts
      if (scanner.model && !facts.model) facts.model = scanner.model
      const usage = scanner.usageStart >= 0
      if (usage) facts.usage = openAiUsage(JSON.parse(frame.data.slice(scanner.usageStart, scanner.usageEnd)))
      if (scanner.deltas) {
        this.firstTokenAt ??= performance.now()
        facts.deltas += scanner.deltas
      }
      for (const reason of scanner.finishReasons) facts.finishReasons.push(reason)
      return usage && scanner.choicesEmpty && !this.options.clientWantsUsage ? '' : frame.raw
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
