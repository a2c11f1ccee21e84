import type { ResponseFacts, StreamRelay } from '../providers/types.ts'
import type { SseFrame } from '../sse.ts'

/** Splits frames this gateway wrote itself (always `\n\n`-terminated, one `data:` line). */
function* ownFrames(text: string): Generator<SseFrame> {
  let from = 0
  for (let end = text.indexOf('\n\n'); end !== -1; end = text.indexOf('\n\n', from)) {
    const raw = text.slice(from, end + 2)
    from = end + 2
    let event: string | undefined
    let data = ''
    for (const line of raw.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7)
      else if (line.startsWith('data: ')) data = line.slice(6)
    }
    yield { event, data, raw }
  }
}

/**
 * Two translations in a row (Anthropic → chat → Responses): the first reads the upstream and owns
 * the facts (usage, first token, capture); the second only reshapes what the first wrote.
 */
export class ChainedRelay implements StreamRelay {
  constructor(
    private readonly first: StreamRelay,
    private readonly second: StreamRelay,
  ) {}

  get facts(): ResponseFacts {
    return this.first.facts
  }

  get firstTokenAt(): number | undefined {
    return this.first.firstTokenAt
  }

  set firstTokenAt(at: number | undefined) {
    this.first.firstTokenAt = at
  }

  private pass(text: string): string {
    let out = ''
    for (const f of ownFrames(text)) out += this.second.frame(f)
    return out
  }

  frame(frame: SseFrame): string {
    return this.pass(this.first.frame(frame))
  }

  finish(): string {
    return this.pass(this.first.finish()) + this.second.finish()
  }

  fail(message: string): string {
    return this.second.fail?.(message) ?? ''
  }

  finalResponse(): Record<string, unknown> | undefined {
    return this.second.finalResponse?.()
  }
}
