import { isUtf8 } from 'node:buffer'
import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Protocol, StreamRelay } from '../providers/types.ts'
import { SseParser, sseFrame, type SseFrame } from '../sse.ts'
import type { StreamSink, UpstreamStream } from '../policy/upstream-stream.ts'

export type StreamEnd = { kind: 'completed' } | { kind: 'client_gone' } | { kind: 'upstream_failed'; message: string }

/** An in-band error once the 200 and some frames are gone: the only honest signal left. */
function errorFrame(protocol: Protocol, message: string): string {
  if (protocol === 'responses')
    return sseFrame({ type: 'error', code: 'upstream_stream_error', message, param: null, sequence_number: 0 }, 'error')
  if (protocol === 'anthropic') return sseFrame({ type: 'error', error: { type: 'api_error', message } }, 'error')
  return sseFrame({ error: { message, type: 'server_error', param: null, code: 'upstream_stream_error' } })
}

/** OpenAI's `data: {"error": …}` and Anthropic's (and Responses') `{"type":"error", …}` (their `event: error`). */
const ERROR_DATA = /^\s*\{\s*"(?:error"|type"\s*:\s*"error")/

/** An upstream error event (or a Responses `response.failed`) carries the upstream's own text: masked like every upstream error (DESIGN rule 8). */
function maskErrorEvent(frame: SseFrame, mask: (text: string) => string): SseFrame {
  if (frame.event !== 'error' && frame.event !== 'response.failed' && !ERROR_DATA.test(frame.data)) return frame
  const data = mask(frame.data)
  return { event: frame.event, data, raw: sseFrame(data, frame.event) }
}

/**
 * Holds the socket's writes until the end of this event-loop turn: when the upstream's last chunk
 * and its end arrive together (a short answer, or the tail of a long one), the frames, the final
 * chunk and the trailers leave in one write instead of two (the upstream's end is seen a tick after
 * its data, after Node's own per-tick cork has already flushed). A chunk waits at most one turn.
 * One per stream; no closure per chunk.
 */
class TurnHold {
  private held = false
  constructor(private readonly socket: Socket | null) {}

  hold(): void {
    if (this.held || !this.socket) return
    this.held = true
    this.socket.cork()
    setImmediate(release, this)
  }

  release(): void {
    this.held = false
    this.socket?.uncork()
  }
}

function release(hold: TurnHold): void {
  hold.release()
}

/**
 * Relays an upstream SSE body frame by frame (no buffering of the answer), with backpressure.
 * `trailers` are computed once the upstream ends (cost is only known then); `mask` cleans the
 * upstream's error events and failure messages of secrets; `tap` sees every text written before the
 * final error frame of a failed stream (the response cache records a stream with it).
 */
export function relayStream(
  res: ServerResponse,
  upstream: UpstreamStream,
  relay: StreamRelay,
  protocol: Protocol,
  trailers: () => Record<string, string>,
  mask: (text: string) => string,
  tap?: (text: string) => void,
): Promise<StreamEnd> {
  return new Promise((resolve) =>
    upstream.attach(new SseRelay(res, upstream, relay, protocol, trailers, mask, tap, resolve)),
  )
}

const COMPLETED: StreamEnd = { kind: 'completed' }
const CLIENT_GONE: StreamEnd = { kind: 'client_gone' }

/** One stream's relay: the upstream's chunks are pushed in (`StreamSink`), frames go out to the client. */
class SseRelay implements StreamSink {
  private readonly parser = new SseParser()
  private readonly turn: TurnHold
  private done = false

  constructor(
    private readonly res: ServerResponse,
    private readonly upstream: UpstreamStream,
    private readonly relay: StreamRelay,
    private readonly protocol: Protocol,
    private readonly trailers: () => Record<string, string>,
    private readonly mask: (text: string) => string,
    private readonly tap: ((text: string) => void) | undefined,
    private readonly resolve: (end: StreamEnd) => void,
  ) {
    this.turn = new TurnHold(res.socket)
  }

  chunk(chunk: Buffer): boolean {
    if (this.done) return false
    const res = this.res
    if (res.destroyed) return this.clientGone()
    try {
      let out = ''
      let unchanged = true
      for (const frame of this.parser.push(chunk)) {
        const text = this.relay.frame(maskErrorEvent(frame, this.mask))
        if (text !== frame.raw) unchanged = false
        out += text
      }
      if (!out) return true
      this.tap?.(out)
      // Every frame of the chunk left as it came: its bytes go out as they are (no re-encoding);
      // bytes that are not UTF-8 go out as decoded (with replacement characters), as before.
      const bytes = unchanged && this.parser.whole && isUtf8(chunk)
      this.turn.hold()
      if (res.write(bytes ? chunk : out)) return true
      if (res.destroyed) return this.clientGone()
      res.once('drain', this.onDrain)
      return false
    } catch (err) {
      this.error(err as Error) // first: the upstream's abort that follows finds the relay done
      this.upstream.destroy()
      return false
    }
  }

  /** An own property: given to `once('drain')` as it is, no closure per pause. */
  private readonly onDrain = (): void => this.upstream.resume()

  end(): void {
    if (this.done) return
    const res = this.res
    try {
      let out = ''
      for (const frame of this.parser.end()) out += this.relay.frame(maskErrorEvent(frame, this.mask))
      out += this.relay.finish()
      if (res.destroyed) return void this.clientGone()
      if (out) this.tap?.(out)
      res.addTrailers(this.trailers())
      res.end(out)
      this.finish(COMPLETED)
    } catch (err) {
      this.error(err as Error)
    }
  }

  error(err: Error): void {
    if (this.done) return
    const res = this.res
    if (res.destroyed) return void this.clientGone()
    const message = this.mask(err.message)
    this.finish({ kind: 'upstream_failed', message })
    res.addTrailers(this.trailers())
    const failure = `upstream stream failed: ${message}`
    res.end(this.relay.fail?.(failure) ?? errorFrame(this.protocol, failure))
  }

  private clientGone(): false {
    this.finish(CLIENT_GONE)
    return false
  }

  private finish(end: StreamEnd): void {
    this.done = true
    this.res.off('drain', this.onDrain)
    this.resolve(end)
  }
}
