import type { Dispatcher } from 'undici'
import { classify, httpError, masked, rawHeader, type AttemptControl } from './attempt-control.ts'
import type { Abort } from './abort.ts'
import type { Upstreams } from './upstream.ts'

/** Whoever relays a streamed answer: its chunks are pushed in as they arrive. */
export interface StreamSink {
  /** false: hold the next chunks until `UpstreamStream.resume()` (the client is slow). */
  chunk(data: Buffer): boolean
  end(): void
  error(err: Error): void
}

/**
 * A streamed answer through undici's dispatch API, its chunks handed straight to a `StreamSink`:
 * no Readable stream, async iterator or promise per chunk as `request()` and `for await` build.
 * The attempt's promise resolves at the answer's headers (a 2xx) or once an error answer's body is
 * read (a ≥ 400, whose text becomes the error message). Chunks that arrive before the sink is
 * attached wait in order.
 */
export class UpstreamStream implements Dispatcher.DispatchHandler {
  private status = 0
  private rawHeaders: Buffer[] | undefined
  private resolved = false
  private abortCall: ((err: Error) => void) | undefined
  /** undici's resume for this call, and whether the sink asked to hold the chunks. */
  private resumeCall: (() => void) | undefined
  private paused = false
  private sink: StreamSink | undefined
  /** Before the sink is attached: the chunks so far and how the answer ended (null: ended well). */
  private pending: Buffer[] = []
  private ended: Error | null | undefined

  constructor(
    private readonly control: AttemptControl,
    private readonly clientSignal: Abort,
    private readonly resolve: (c: AttemptControl) => void,
    private readonly upstreams: Upstreams,
  ) {}

  /** Starts the relay: the chunks that already arrived first, then the rest as they come. */
  attach(sink: StreamSink): void {
    this.sink = sink
    const pending = this.pending
    this.pending = []
    for (const chunk of pending) if (!sink.chunk(chunk)) this.paused = true
    if (this.ended === null) sink.end()
    else if (this.ended) sink.error(this.ended)
  }

  resume(): void {
    if (!this.paused) return
    this.paused = false
    this.resumeCall?.()
  }

  /** The relay stopped early (client gone, stream cut): the upstream call ends here. */
  destroy(): void {
    this.abortCall?.(new Error('stream closed by the gateway'))
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.control.aborted) abort(this.control.reason as Error)
    else this.control.cancel = this.abortCall = abort
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void): boolean {
    this.status = status
    this.resumeCall = resume
    if (status >= 400) {
      this.rawHeaders = raw
      return true
    }
    this.settle({ kind: 'ok', status, stream: this, data: undefined })
    return true
  }

  onData(chunk: Buffer): boolean {
    if (this.status >= 400 || !this.sink) {
      this.pending.push(chunk)
      return true
    }
    if (this.sink.chunk(chunk)) return true
    this.paused = true
    return false
  }

  onComplete(): void {
    this.control.cancel = this.abortCall = undefined
    if (this.status >= 400) this.settleError()
    else if (this.sink) this.sink.end()
    else this.ended = null
  }

  onError(err: Error): void {
    this.control.cancel = this.abortCall = undefined
    // An error answer cut while its body was read: its status with what was read of its text.
    if (!this.resolved && this.status >= 400 && !this.clientSignal.aborted) this.settleError()
    else if (!this.resolved) this.settle(masked(this.upstreams, classify(err, this.control, this.clientSignal)))
    else if (this.sink) this.sink.error(err)
    else this.ended = err
  }

  private settleError(): void {
    const body = this.pending
    this.pending = []
    this.settle(httpError(this.upstreams, this.status, body, rawHeader(this.rawHeaders!, 'retry-after')))
  }

  private settle(outcome: AttemptControl['outcome']): void {
    this.resolved = true
    this.control.outcome = outcome
    this.resolve(this.control)
  }
}
