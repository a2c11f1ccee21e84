import { observeOpenAiChunk } from '../providers/openai/stream.ts'
import { emptyFacts, type RelayOptions, type StreamRelay } from '../providers/types.ts'
import { sseFrame, type SseFrame } from '../sse.ts'
import { anthropicStopReason, anthropicUsageFromOpenAi } from './anthropic-client.ts'

type Chunk = Parameters<typeof observeOpenAiChunk>[1] & {
  id?: string
  usage?: {
    prompt_tokens?: number
    completion_tokens?: number
    prompt_tokens_details?: { cached_tokens?: number } | null
  } | null
  choices?: {
    finish_reason?: string | null
    delta?: {
      content?: string | null
      tool_calls?: { index?: number; id?: string; function?: { name?: string; arguments?: string } }[]
    }
  }[]
  error?: { message?: string; type?: string }
}

/** OpenAI chat.completion.chunk frames → Anthropic message events, for an Anthropic client. */
export class OpenAiToAnthropicRelay implements StreamRelay {
  readonly facts = emptyFacts()
  firstTokenAt: number | undefined
  private started = false
  private done = false
  /** Index of the open content block, and what it is ('text' or the OpenAI tool index). */
  private blockIndex = -1
  private open: 'text' | number | undefined
  private finishReason: string | null = null
  private usage: Chunk['usage'] = null

  /**
   * `inputTokens`: the request's input estimated with gpt-tokenizer (OpenAI streams report usage only
   * at the end, after `message_start`); 0 when unknown. The final `message_delta` keeps the provider's usage.
   */
  constructor(
    private readonly options: RelayOptions,
    private readonly inputTokens = 0,
  ) {}

  private start(chunk: Chunk): string {
    if (this.started) return ''
    this.started = true
    const message = {
      id: `msg_${chunk.id ?? 'loopgate'}`,
      type: 'message',
      role: 'assistant',
      model: chunk.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: this.inputTokens, output_tokens: 0 },
    }
    return sseFrame({ type: 'message_start', message }, 'message_start')
  }

  private closeBlock(): string {
    if (this.open === undefined) return ''
    this.open = undefined
    return sseFrame({ type: 'content_block_stop', index: this.blockIndex }, 'content_block_stop')
  }

  private openBlock(kind: 'text' | number, block: Record<string, unknown>): string {
    const out = this.closeBlock()
    this.blockIndex++
    this.open = kind
    return (
      out +
      sseFrame({ type: 'content_block_start', index: this.blockIndex, content_block: block }, 'content_block_start')
    )
  }

  frame(frame: SseFrame): string {
    if (frame.data === '[DONE]') return this.finish()
    let chunk: Chunk
    try {
      chunk = JSON.parse(frame.data) as Chunk
    } catch {
      return ''
    }
    if (chunk.error) {
      // The upstream gave up mid-stream: Anthropic's in-band error event ends the stream.
      this.done = true
      return sseFrame(
        { type: 'error', error: { type: 'api_error', message: chunk.error.message ?? 'upstream stream error' } },
        'error',
      )
    }
    observeOpenAiChunk(this, chunk, this.options.capture)
    let out = this.start(chunk)
    if (chunk.usage) this.usage = chunk.usage
    for (const c of chunk.choices ?? []) {
      const d = c.delta
      if (d?.content) {
        if (this.open !== 'text') out += this.openBlock('text', { type: 'text', text: '' })
        out += sseFrame(
          { type: 'content_block_delta', index: this.blockIndex, delta: { type: 'text_delta', text: d.content } },
          'content_block_delta',
        )
      }
      for (const t of d?.tool_calls ?? []) {
        const i = t.index ?? 0
        if (this.open !== i)
          out += this.openBlock(i, {
            type: 'tool_use',
            id: t.id ?? `toolu_${i}`,
            name: t.function?.name ?? '',
            input: {},
          })
        if (t.function?.arguments)
          out += sseFrame(
            {
              type: 'content_block_delta',
              index: this.blockIndex,
              delta: { type: 'input_json_delta', partial_json: t.function.arguments },
            },
            'content_block_delta',
          )
      }
      if (c.finish_reason) this.finishReason = c.finish_reason
    }
    return out
  }

  finish(): string {
    if (this.done) return ''
    this.done = true
    let out = this.start({}) + this.closeBlock()
    out += sseFrame(
      {
        type: 'message_delta',
        delta: { stop_reason: anthropicStopReason(this.finishReason), stop_sequence: null },
        usage: anthropicUsageFromOpenAi(this.usage ?? undefined),
      },
      'message_delta',
    )
    return out + sseFrame({ type: 'message_stop' }, 'message_stop')
  }
}
