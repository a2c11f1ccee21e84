import { isUtf8 } from 'node:buffer'
import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Readable } from 'node:stream'
import type { Protocol, StreamRelay } from '../providers/types.ts'
import { SseParser, sseFrame, type SseFrame } from '../sse.ts'

export type StreamEnd = { kind: 'completed' } | { kind: 'client_gone' } | { kind: 'upstream_failed'; message: string }

function drain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.once('drain', done)
    res.once('close', done)
  })
}

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
export async function relayStream(
  res: ServerResponse,
  upstream: Readable,
  relay: StreamRelay,
  protocol: Protocol,
  trailers: () => Record<string, string>,
  mask: (text: string) => string,
  tap?: (text: string) => void,
): Promise<StreamEnd> {
  const parser = new SseParser()
  const turn = new TurnHold(res.socket)
  let end: StreamEnd = { kind: 'completed' }
  try {
    for await (const chunk of upstream) {
      let out = ''
      let unchanged = true
      for (const frame of parser.push(chunk as Buffer)) {
        const text = relay.frame(maskErrorEvent(frame, mask))
        if (text !== frame.raw) unchanged = false
        out += text
      }
      if (out) tap?.(out)
      // Every frame of the chunk left as it came: its bytes go out as they are (no re-encoding);
      // bytes that are not UTF-8 go out as decoded (with replacement characters), as before.
      const bytes = unchanged && parser.whole && isUtf8(chunk as Buffer)
      if (out) turn.hold()
      if (out && !res.write(bytes ? (chunk as Buffer) : out)) await drain(res)
      if (res.destroyed) return { kind: 'client_gone' }
    }
    let out = ''
    for (const frame of parser.end()) out += relay.frame(maskErrorEvent(frame, mask))
    out += relay.finish()
    if (res.destroyed) return { kind: 'client_gone' }
    if (out) tap?.(out)
    res.addTrailers(trailers())
    res.end(out)
  } catch (err) {
    if (res.destroyed) return { kind: 'client_gone' }
    const message = mask((err as Error).message)
    end = { kind: 'upstream_failed', message }
    res.addTrailers(trailers())
    const failure = `upstream stream failed: ${message}`
    res.end(relay.fail?.(failure) ?? errorFrame(protocol, failure))
  }
  return end
}
