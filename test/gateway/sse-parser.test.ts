import { StringDecoder } from 'node:string_decoder'
import { describe, expect, it } from 'vitest'
import { SseParser, type SseFrame } from '../../gateway/sse.ts'

/** The parser as it was before it kept a cursor and a one-line fast path: the reference. */
class ReferenceParser {
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
      const frame = parse(raw)
      if (frame) frames.push(frame)
    }
    return frames
  }
  end(): SseFrame[] {
    this.buffer += this.decoder.end()
    const rest = this.buffer
    this.buffer = ''
    const frame = rest.trim() ? parse(rest.endsWith('\n') ? `${rest}\n` : `${rest}\n\n`) : undefined
    return frame ? [frame] : []
  }
}

function parse(raw: string): SseFrame | undefined {
  let event: string | undefined
  const data: string[] = []
  for (const line of raw.split(/\r?\n/)) {
    if (line.startsWith('data:')) data.push(line.slice(line.charCodeAt(5) === 32 ? 6 : 5))
    else if (line.startsWith('event:')) event = line.slice(6).trim()
  }
  if (!data.length && !event) return undefined
  return { event, data: data.join('\n'), raw }
}

const TEXTS = [
  'data: {"a":1}\n\ndata:{"b":"é ✓"}\n\n: comment\n\nevent: ping\ndata: x\n\ndata: [DONE]\n\n',
  'event: message_start\r\ndata: {"x":1}\r\n\r\ndata: one\r\ndata: two\r\n\r\ndata: mixed\n\ndata: tail\r\n',
  'data: a\r\n\ndata: b\n\r\n\r\ndata:\n\ndata: c\ndata: d\n\nid: 7\nretry: 10\n\ndata: last',
  'data: {"k":"v"}\n\n'.repeat(30),
]

/** Deterministic cuts of each text into chunks, some splitting a UTF-8 character or a separator. */
function chunkings(bytes: Buffer): Buffer[][] {
  const out: Buffer[][] = [[bytes]]
  let seed = 11
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff)
  for (let k = 0; k < 200; k++) {
    const parts: Buffer[] = []
    let at = 0
    while (at < bytes.length) {
      const size = 1 + (next() % (k % 2 ? 5 : 60))
      parts.push(bytes.subarray(at, at + size))
      at += size
    }
    out.push(parts)
  }
  return out
}

describe('SseParser', () => {
  it('splits every chunking of LF, CRLF and mixed streams exactly as the reference parser', () => {
    for (const text of TEXTS) {
      for (const parts of chunkings(Buffer.from(text))) {
        const p = new SseParser()
        const r = new ReferenceParser()
        const got = [...parts.flatMap((b) => p.push(b)), ...p.end()]
        const want = [...parts.flatMap((b) => r.push(b)), ...r.end()]
        expect(got, JSON.stringify(text)).toEqual(want)
      }
    }
  })

  it('says when a chunk was exactly its frames (its bytes may pass through unchanged)', () => {
    const p = new SseParser()
    p.push(Buffer.from('data: a\n\ndata: b\n\n'))
    expect(p.whole).toBe(true)
    p.push(Buffer.from('data: c\n\ndata: d'))
    expect(p.whole).toBe(false) // a partial frame stays behind
    p.push(Buffer.from('\n\n'))
    expect(p.whole).toBe(false) // it ends a frame begun in the last chunk
    p.push(Buffer.from(': keep-alive\n\ndata: e\n\n'))
    expect(p.whole).toBe(false) // a comment is not relayed
    p.push(Buffer.from('event: x\r\ndata: f\r\n\r\n'))
    expect(p.whole).toBe(true)
  })
})
