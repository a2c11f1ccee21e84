import type { SseFrame } from '../../sse.ts'
import { emptyFacts, type RelayOptions, type StreamRelay } from '../types.ts'
import { anthropicUsage, type AnthropicUsage } from './response.ts'

export type AnthropicEvent = {
  type?: string
  index?: number
  message?: { model?: string; usage?: AnthropicUsage; id?: string }
  content_block?: { type?: string; id?: string; name?: string; text?: string }
  delta?: { type?: string; text?: string; partial_json?: string; stop_reason?: string | null }
  usage?: AnthropicUsage
  error?: { type?: string; message?: string }
}

/** Anthropic → Anthropic: every frame leaves as received. */
export class AnthropicPassthroughRelay implements StreamRelay {
  readonly facts = emptyFacts()
  firstTokenAt: number | undefined

  constructor(private readonly options: RelayOptions) {}

  frame(frame: SseFrame): string {
    try {
      observeAnthropicEvent(this, JSON.parse(frame.data) as AnthropicEvent, this.options.capture)
    } catch {
      /* not JSON: pass it on untouched */
    }
    return frame.raw
  }

  finish(): string {
    return ''
  }
}

/** Shared by the pass-through and the Anthropic → OpenAI translation. */
export function observeAnthropicEvent(relay: StreamRelay, ev: AnthropicEvent, capture: boolean): void {
  const facts = relay.facts
  switch (ev.type) {
    case 'message_start': {
      facts.model = ev.message?.model
      facts.usage = anthropicUsage(ev.message?.usage)
      break
    }
    case 'content_block_start':
      if (ev.content_block?.type === 'tool_use') {
        relay.firstTokenAt ??= performance.now()
        if (capture) facts.toolCalls.push({ name: String(ev.content_block.name), arguments: '' })
      }
      break
    case 'content_block_delta':
      relay.firstTokenAt ??= performance.now()
      facts.deltas++
      if (!capture) break
      if (ev.delta?.type === 'text_delta') facts.outputText += ev.delta.text ?? ''
      else if (ev.delta?.type === 'input_json_delta') {
        const last = facts.toolCalls[facts.toolCalls.length - 1]
        if (last) last.arguments += ev.delta.partial_json ?? ''
      }
      break
    case 'message_delta': {
      if (ev.delta?.stop_reason) facts.finishReasons.push(ev.delta.stop_reason)
      const u = ev.usage
      if (u) {
        // message_delta carries the final output count; newer APIs repeat the input counts too.
        const merged = {
          input_tokens: u.input_tokens ?? facts.usage.input - facts.usage.cacheRead - facts.usage.cacheWrite,
          cache_read_input_tokens: u.cache_read_input_tokens ?? facts.usage.cacheRead,
          cache_creation_input_tokens: u.cache_creation_input_tokens ?? facts.usage.cacheWrite,
          output_tokens: u.output_tokens ?? facts.usage.output,
        }
        facts.usage = anthropicUsage(merged)
      }
      break
    }
  }
}
