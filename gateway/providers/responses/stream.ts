import { sseFrame, type SseFrame } from '../../sse.ts'
import { emptyFacts, type RelayOptions, type StreamRelay } from '../types.ts'
import { collectOutput, responsesFinishReason, responsesUsage, type ResponseObject } from './response.ts'

type ResponsesEvent = { type?: string; sequence_number?: number; response?: ResponseObject; delta?: string }

/** Responses → Responses: every event leaves as received; the facts are read on the way. */
export class ResponsesPassthroughRelay implements StreamRelay {
  readonly facts = emptyFacts()
  firstTokenAt: number | undefined
  /** The response as announced by response.created, then as completed. */
  private response: ResponseObject | undefined
  private completed = false
  private failed = false
  private seq = 0

  constructor(private readonly options: RelayOptions) {}

  frame(frame: SseFrame): string {
    if (frame.data === '[DONE]') return frame.raw
    try {
      this.observe(JSON.parse(frame.data) as ResponsesEvent)
    } catch {
      /* not JSON: pass it on untouched */
    }
    return frame.raw
  }

  private observe(ev: ResponsesEvent): void {
    const facts = this.facts
    if (typeof ev.sequence_number === 'number') this.seq = ev.sequence_number + 1
    switch (ev.type) {
      case 'response.created':
        facts.model = ev.response?.model
        this.response = ev.response
        break
      case 'response.output_text.delta':
      case 'response.refusal.delta':
      case 'response.function_call_arguments.delta':
        this.firstTokenAt ??= performance.now()
        facts.deltas++
        break
      case 'response.completed':
      case 'response.incomplete':
      case 'response.failed': {
        const r = ev.response ?? {}
        this.response = r
        this.completed = ev.type !== 'response.failed'
        this.failed = !this.completed
        facts.model = r.model ?? facts.model
        if (r.usage) facts.usage = responsesUsage(r.usage)
        const finish = ev.type === 'response.failed' ? 'failed' : responsesFinishReason(r)
        if (finish) facts.finishReasons.push(finish)
        // The final response repeats every output item whole: captured from it, not from the deltas.
        if (this.options.capture) collectOutput(facts, r.output)
        break
      }
    }
  }

  finish(): string {
    return ''
  }

  /** Cut after the 200: the response fails the way the Responses API says it, with the next sequence number. */
  fail(message: string): string {
    if (this.failed || this.completed) return ''
    this.failed = true
    const response = { ...this.response, status: 'failed', error: { code: 'server_error', message } }
    return sseFrame({ type: 'response.failed', sequence_number: this.seq, response }, 'response.failed')
  }

  finalResponse(): Record<string, unknown> | undefined {
    return this.completed ? (this.response as Record<string, unknown>) : undefined
  }
}
