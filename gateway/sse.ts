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

  push(chunk: Buffer): SseFrame[] {
    this.buffer += this.decoder.write(chunk)
    const frames: SseFrame[] = []
    for (;;) {
      let end = this.buffer.indexOf('\n\n')
      let sepLen = 2
      const crlf = this.buffer.indexOf('\r\n\r\n')
      if (crlf !== -1 && (end === -1 || crlf < end)) {
        end = crlf
        sepLen = 4
      }
      if (end === -1) break
      const raw = this.buffer.slice(0, end + sepLen)
      this.buffer = this.buffer.slice(end + sepLen)
      const frame = parseFrame(raw)
      if (frame) frames.push(frame)
    }
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
  let event: string | undefined
  const data: string[] = []
  for (const line of raw.split(/\r?\n/)) {
    if (line.startsWith('data:')) data.push(line.slice(line.charCodeAt(5) === 32 ? 6 : 5))
    else if (line.startsWith('event:')) event = line.slice(6).trim()
  }
  if (!data.length && !event) return undefined
  return { event, data: data.join('\n'), raw }
}

export const sseFrame = (data: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`
