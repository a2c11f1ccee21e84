import type { IncomingMessage, ServerResponse } from 'node:http'
import type { StreamEnding } from './profiles.ts'

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

export function startSse(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
}

/**
 * Writes SSE frames at the model's speed. With tokensPerSecond = 0 every frame leaves in one write.
 * `stall` stops half-way without ending the response (the client must time out); `cut` stops
 * half-way and closes the connection.
 */
export async function writeFrames(
  res: ServerResponse,
  head: string[],
  body: string[],
  tail: string[],
  tokensPerSecond: number,
  ending: StreamEnding,
): Promise<void> {
  if (tokensPerSecond <= 0 && ending === 'complete') {
    res.end(head.join('') + body.join('') + tail.join(''))
    return
  }
  res.write(head.join(''))
  const gap = tokensPerSecond > 0 ? 1000 / tokensPerSecond : 0
  const stopAt = ending === 'complete' ? body.length : Math.floor(body.length / 2)
  for (let i = 0; i < stopAt; i++) {
    if (res.destroyed) return
    if (gap) await sleep(gap)
    res.write(body[i]!)
  }
  if (ending === 'stall') return
  if (ending === 'cut') {
    // Let the frames written so far leave before the connection goes.
    res.socket?.end(() => res.destroy())
    return
  }
  res.end(tail.join(''))
}

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > limit) return undefined
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

/** A message's text: a string as it is, content parts' text joined by spaces. */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content
  if (Array.isArray(content))
    return content
      .map((p) => (p && typeof p === 'object' && 'text' in p ? String((p as { text: unknown }).text) : ''))
      .join(' ')
  return ''
}
