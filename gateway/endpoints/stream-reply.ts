import type { ServerResponse } from 'node:http'
import type { Readable } from 'node:stream'
import type { Protocol, StreamRelay } from '../providers/types.ts'
import { SseParser, sseFrame } from '../sse.ts'

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
  if (protocol === 'anthropic') return sseFrame({ type: 'error', error: { type: 'api_error', message } }, 'error')
  return sseFrame({ error: { message, type: 'server_error', param: null, code: 'upstream_stream_error' } })
}

/**
 * Relays an upstream SSE body frame by frame (no buffering of the answer), with backpressure.
 * `trailers` are computed once the upstream ends (cost is only known then).
 */
export async function relayStream(res: ServerResponse, upstream: Readable, relay: StreamRelay, protocol: Protocol, trailers: () => Record<string, string>): Promise<StreamEnd> {
  const parser = new SseParser()
  let end: StreamEnd = { kind: 'completed' }
  try {
    for await (const chunk of upstream) {
      let out = ''
      for (const frame of parser.push(chunk as Buffer)) out += relay.frame(frame)
      if (out && !res.write(out)) await drain(res)
      if (res.destroyed) return { kind: 'client_gone' }
    }
    let out = ''
    for (const frame of parser.end()) out += relay.frame(frame)
    out += relay.finish()
    if (res.destroyed) return { kind: 'client_gone' }
    res.addTrailers(trailers())
    res.end(out)
  } catch (err) {
    if (res.destroyed) return { kind: 'client_gone' }
    end = { kind: 'upstream_failed', message: (err as Error).message }
    res.addTrailers(trailers())
    res.end(errorFrame(protocol, `upstream stream failed: ${(err as Error).message}`))
  }
  return end
}
