import { connect, type Socket } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { startTestCollector } from '../helpers/collector.ts'

// A 1 MiB in-flight limit starts at half (512 KiB): one request declaring 600 KiB whose body is
// still arriving fills it, so the next request is refused by admission before its body is read.
const collector = await startTestCollector({
  collector: { admission: { maxInFlightBytes: 1024 * 1024, maxQueueSeconds: 2 } },
})
afterAll(() => collector.close())
const { hostname, port } = new URL(collector.url)

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket))
    socket.once('error', reject)
  })
}

const head = (bytes: number) =>
  `POST /v1/traces HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/x-protobuf\r\nContent-Length: ${bytes}\r\nConnection: keep-alive\r\n\r\n`

/** Everything the server sends until it closes the connection, or what came within `ms` if it does not. */
function readUntilClosed(socket: Socket, ms: number): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    let text = ''
    const timer = setTimeout(() => resolve({ text, closed: false }), ms)
    socket.on('data', (chunk) => (text += chunk.toString('latin1')))
    socket.once('close', () => {
      clearTimeout(timer)
      resolve({ text, closed: true })
    })
  })
}

describe('a request refused before its body is read', () => {
  it('gets 429 + Retry-After and Connection: close, and the collector closes the socket without reading the body', async () => {
    const holder = await open()
    holder.write(head(600 * 1024) + 'x') // admitted (alone), body still arriving: 600 KiB in flight
    try {
      // Let the collector admit the holder first.
      await new Promise((r) => setTimeout(r, 200))
      const refused = await open()
      refused.write(head(1024 * 1024)) // only the head: the body (1 MiB) is never sent
      const answer = await readUntilClosed(refused, 3000)
      refused.destroy()
      expect(answer.text).toMatch(/^HTTP\/1\.1 429 /)
      expect(answer.text).toMatch(/\r\nretry-after: [1-5]\r\n/i)
      expect(answer.text).toMatch(/\r\nconnection: close\r\n/i)
      // Kept alive, the connection would wait for the 1 MiB body only to discard it.
      expect(answer.closed).toBe(true)
    } finally {
      holder.destroy()
    }
  })
})
