import { observeAnthropicEvent, type AnthropicEvent } from '../providers/anthropic/stream.ts'
import { emptyFacts, type RelayOptions, type StreamRelay } from '../providers/types.ts'
import { sseFrame, type SseFrame } from '../sse.ts'
import { openAiFinishReason, openAiUsageFromAnthropic } from './openai-client.ts'

/** Anthropic message events → OpenAI chat.completion.chunk frames, for an OpenAI client. */
export class AnthropicToOpenAiRelay implements StreamRelay {
  readonly facts = emptyFacts()
  firstTokenAt: number | undefined
  private id = 'chatcmpl-loopgate'
  private readonly created = Math.floor(Date.now() / 1000)
  /** Anthropic content index → OpenAI tool_calls index. */
  private readonly toolIndex = new Map<number, number>()
  private finishReason: string | null = null
  private rawUsage: AnthropicEvent['usage'] = {}
  private done = false

  constructor(private readonly options: RelayOptions) {}

  private chunk(delta: Record<string, unknown>, finish: string | null = null): string {
    return sseFrame({
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.facts.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    })
  }

  frame(frame: SseFrame): string {
    let ev: AnthropicEvent
    try {
      ev = JSON.parse(frame.data) as AnthropicEvent
    } catch {
      return ''
    }
    observeAnthropicEvent(this, ev, this.options.capture)
    switch (ev.type) {
      case 'message_start':
        this.id = ev.message?.id ? `chatcmpl-${ev.message.id}` : this.id
        this.rawUsage = { ...ev.message?.usage }
        return this.chunk({ role: 'assistant', content: '' })
      case 'content_block_start': {
        const b = ev.content_block
        if (b?.type !== 'tool_use') return ''
        const index = this.toolIndex.size
        this.toolIndex.set(ev.index ?? 0, index)
        return this.chunk({
          tool_calls: [{ index, id: b.id, type: 'function', function: { name: b.name, arguments: '' } }],
        })
      }
      case 'content_block_delta': {
        const d = ev.delta
        if (d?.type === 'text_delta') return this.chunk({ content: d.text ?? '' })
        if (d?.type === 'input_json_delta')
          return this.chunk({
            tool_calls: [
              { index: this.toolIndex.get(ev.index ?? 0) ?? 0, function: { arguments: d.partial_json ?? '' } },
            ],
          })
        return ''
      }
      case 'message_delta':
        this.finishReason = openAiFinishReason(ev.delta?.stop_reason) ?? this.finishReason
        this.rawUsage = {
          ...this.rawUsage,
          ...Object.fromEntries(Object.entries(ev.usage ?? {}).filter(([, v]) => v !== null && v !== undefined)),
        }
        return ''
      case 'message_stop':
        return this.close()
      case 'error':
        this.done = true
        return sseFrame({
          error: {
            message: ev.error?.message ?? 'upstream stream error',
            type: ev.error?.type ?? 'server_error',
            param: null,
            code: null,
          },
        })
      default:
        return ''
    }
  }

  private close(): string {
    if (this.done) return ''
    this.done = true
    let out = this.chunk({}, this.finishReason ?? 'stop')
    if (this.options.clientWantsUsage) {
      out += sseFrame({
        id: this.id,
        object: 'chat.completion.chunk',
        created: this.created,
        model: this.facts.model,
        choices: [],
        usage: openAiUsageFromAnthropic(this.rawUsage as never),
      })
    }
    return `${out}data: [DONE]\n\n`
  }

  finish(): string {
    return this.close()
  }
}
