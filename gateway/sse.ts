import { StringDecoder } from 'node:string_decoder'

export interface SseFrame {
  event: string | undefined
  data: string
  /** The frame as received, separator included, for byte-exact pass-through. */
  raw: string
}

/** Splits a byte stream into SSE frames; tolerant of CRLF and of frames split across chunks. */
export class SseParser {
  private readonly decoder = new StringDecoder('utf8')
  private buffer = ''
  /**
   * The last chunk pushed was exactly its frames, each returned (no partial frame before or after
   * it, no comment-only frame skipped): a relay that passes every frame unchanged may write the
   * chunk's own bytes.
   */
  whole = false

  push(chunk: Buffer): SseFrame[] {
    const carried = this.buffer !== ''
    let skipped = false
    const buffer = this.buffer + this.decoder.write(chunk)
    const frames: SseFrame[] = []
    // Without a CR in the text only '\n\n' can end a frame: no second search per frame.
    const crlfPossible = buffer.includes('\r')
    let pos = 0
    for (;;) {
      let end = buffer.indexOf('\n\n', pos)
      let sepLen = 2
      if (crlfPossible) {
        const crlf = buffer.indexOf('\r\n\r\n', pos)
        if (crlf !== -1 && (end === -1 || crlf < end)) {
          end = crlf
          sepLen = 4
        }
      }
      if (end === -1) break
      const raw = buffer.slice(pos, end + sepLen)
      pos = end + sepLen
      const frame = parseFrame(raw)
      if (frame) frames.push(frame)
      else skipped = true
    }
    this.buffer = pos === 0 ? buffer : buffer.slice(pos)
    this.whole = !carried && !skipped && this.buffer === ''
    return frames
  }

  /** Whatever is left when the stream ends without a final blank line. */
  end(): SseFrame[] {
    this.buffer += this.decoder.end()
    const rest = this.buffer
    this.buffer = ''
    const frame = rest.trim() ? parseFrame(rest.endsWith('\n') ? `${rest}\n` : `${rest}\n\n`) : undefined
    return frame ? [frame] : []
  }
}

function parseFrame(raw: string): SseFrame | undefined {
  // The common frame, one `data:` line: no split, no regular expression.
  const nl = raw.indexOf('\n')
  if (nl === raw.length - 2 && raw.startsWith('data:') && raw.charCodeAt(nl - 1) !== 13) {
    return { event: undefined, data: raw.slice(raw.charCodeAt(5) === 32 ? 6 : 5, nl), raw }
  }
  let event: string | undefined
  const data: string[] = []
  for (const line of raw.split(/\r?\n/)) {
    if (line.startsWith('data:')) data.push(line.slice(line.charCodeAt(5) === 32 ? 6 : 5))
    else if (line.startsWith('event:')) event = line.slice(6).trim()
  }
  if (!data.length && !event) return undefined
  return { event, data: data.join('\n'), raw }
}

export const sseFrame = (data: unknown, event?: string) =>
  `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`
