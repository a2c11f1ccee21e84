import { observeOpenAiChunk } from '../providers/openai/stream.ts'
import { emptyFacts, type RelayOptions, type StreamRelay } from '../providers/types.ts'
import { sseFrame, type SseFrame } from '../sse.ts'
import {
  functionCallItem,
  messageItem,
  newId,
  outputTextPart,
  responseShell,
  responsesUsageFromChat,
  statusOf,
  type ChatUsage,
} from './responses-response.ts'

type Json = Record<string, unknown>
type Chunk = Parameters<typeof observeOpenAiChunk>[1] & {
  created?: number
  usage?: ChatUsage
  choices?: {
    finish_reason?: string | null
    delta?: {
      content?: string | null
      refusal?: string | null
      tool_calls?: { index?: number; id?: string; function?: { name?: string; arguments?: string } }[]
    }
  }[]
  error?: { message?: string; code?: string | null }
}

/** The output item being streamed: its index in `output`, and for a call the chat tool index. */
type Open =
  | { kind: 'text'; index: number; id: string; text: string }
  | { kind: 'call'; index: number; id: string; toolIndex: number; callId: string; name: string; args: string }

/**
 * OpenAI chat.completion.chunk frames → the Responses API's event sequence: response.created,
 * response.in_progress, then per output item …output_item.added, (content_part.added,
 * output_text.delta…, output_text.done, content_part.done | function_call_arguments.delta…,
 * function_call_arguments.done), output_item.done, and response.completed (or .incomplete) with usage.
 */
export class ChatToResponsesRelay implements StreamRelay {
  readonly facts = emptyFacts()
  firstTokenAt: number | undefined
  private readonly response: Json
  private readonly output: Json[] = []
  private seq = 0
  private started = false
  private done = false
  private open: Open | undefined
  private finishReason: string | null = null
  private usage: ChatUsage = null

  constructor(
    private readonly options: RelayOptions,
    request: Json,
  ) {
    this.response = responseShell(request, newId('resp'), request.model, Math.floor(Date.now() / 1000))
  }

  private event(type: string, data: Json): string {
    return sseFrame({ type, sequence_number: this.seq++, ...data }, type)
  }

  /** The response as it stands, with every item finished so far. */
  private snapshot(): Json {
    return { ...this.response, output: this.output.slice() }
  }

  private start(chunk: Chunk): string {
    if (this.started) return ''
    this.started = true
    if (chunk.model) this.response.model = chunk.model
    if (chunk.created) this.response.created_at = chunk.created
    return (
      this.event('response.created', { response: this.snapshot() }) +
      this.event('response.in_progress', { response: this.snapshot() })
    )
  }

  private closeItem(): string {
    const o = this.open
    if (!o) return ''
    this.open = undefined
    let out = ''
    let item: Json
    if (o.kind === 'text') {
      const part = outputTextPart(o.text)
      out += this.event('response.output_text.done', {
        item_id: o.id,
        output_index: o.index,
        content_index: 0,
        text: o.text,
        logprobs: [],
      })
      out += this.event('response.content_part.done', { item_id: o.id, output_index: o.index, content_index: 0, part })
      item = messageItem(o.id, 'completed', [part])
    } else {
      out += this.event('response.function_call_arguments.done', {
        item_id: o.id,
        output_index: o.index,
        name: o.name,
        arguments: o.args,
      })
      item = functionCallItem(o.id, o.callId, o.name, o.args, 'completed')
    }
    this.output[o.index] = item
    return out + this.event('response.output_item.done', { output_index: o.index, item })
  }

  private text(delta: string): string {
    let out = ''
    if (this.open?.kind !== 'text') {
      out += this.closeItem()
      const open: Open = { kind: 'text', index: this.output.length, id: newId('msg'), text: '' }
      this.open = open
      this.output.push(messageItem(open.id, 'in_progress', []))
      out += this.event('response.output_item.added', {
        output_index: open.index,
        item: messageItem(open.id, 'in_progress', []),
      })
      out += this.event('response.content_part.added', {
        item_id: open.id,
        output_index: open.index,
        content_index: 0,
        part: outputTextPart(''),
      })
    }
    const open = this.open as Extract<Open, { kind: 'text' }>
    open.text += delta
    return (
      out +
      this.event('response.output_text.delta', {
        item_id: open.id,
        output_index: open.index,
        content_index: 0,
        delta,
        logprobs: [],
      })
    )
  }

  private call(
    t: NonNullable<NonNullable<NonNullable<Chunk['choices']>[number]['delta']>['tool_calls']>[number],
  ): string {
    let out = ''
    const toolIndex = t.index ?? 0
    if (this.open?.kind !== 'call' || this.open.toolIndex !== toolIndex) {
      out += this.closeItem()
      const open: Open = {
        kind: 'call',
        index: this.output.length,
        id: newId('fc'),
        toolIndex,
        callId: t.id ?? newId('call'),
        name: t.function?.name ?? '',
        args: '',
      }
      this.open = open
      const item = functionCallItem(open.id, open.callId, open.name, '', 'in_progress')
      this.output.push(item)
      out += this.event('response.output_item.added', { output_index: open.index, item })
    }
    const open = this.open as Extract<Open, { kind: 'call' }>
    const delta = t.function?.arguments
    if (!delta) return out
    open.args += delta
    return (
      out + this.event('response.function_call_arguments.delta', { item_id: open.id, output_index: open.index, delta })
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
    if (chunk.error) return this.fail(chunk.error.message ?? 'upstream stream error')
    if (this.done) return ''
    observeOpenAiChunk(this, chunk, this.options.capture)
    let out = this.start(chunk)
    if (chunk.usage) this.usage = chunk.usage
    for (const c of chunk.choices ?? []) {
      const d = c.delta
      const text = d?.content ?? d?.refusal
      if (text) out += this.text(text)
      for (const t of d?.tool_calls ?? []) out += this.call(t)
      if (c.finish_reason) this.finishReason = c.finish_reason
    }
    return out
  }

  finish(): string {
    if (this.done) return ''
    this.done = true
    let out = this.start({}) + this.closeItem()
    const { status, incomplete_details } = statusOf(this.finishReason)
    Object.assign(this.response, { status, incomplete_details, usage: responsesUsageFromChat(this.usage) })
    out += this.event(status === 'completed' ? 'response.completed' : 'response.incomplete', {
      response: this.snapshot(),
    })
    return out
  }

  finalResponse(): Json | undefined {
    return this.done && this.response.status !== 'failed' && this.response.status !== 'in_progress'
      ? this.snapshot()
      : undefined
  }

  /** The upstream gave up after the 200: `response.failed`, the last event the client gets. */
  fail(message: string): string {
    if (this.done) return ''
    this.done = true
    const out = this.start({})
    Object.assign(this.response, { status: 'failed', error: { code: 'server_error', message } })
    return out + this.event('response.failed', { response: this.snapshot() })
  }
}
