import { gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { json } from '../helpers/http.ts'
import { ADMIN_TOKEN, startTestCollector } from '../helpers/collector.ts'

const collector = await startTestCollector({
  tenants: [{ id: 'acme', ingestKeys: ['acme-ingest-key-1'], readKeys: [] }],
  collector: { maxBodyBytes: 1024 * 1024, maxInflatedBytes: 4 * 1024 * 1024 },
})
afterAll(() => collector.close())

const post = (body: string | Uint8Array, headers: Record<string, string>) =>
  fetch(`${collector.url}/v1/traces`, { method: 'POST', body, headers })

describe('OTLP receiver refusals', () => {
  it('answers 415 with the accepted types for another content type', async () => {
    const res = await post('hello', { 'content-type': 'text/plain' })
    expect(res.status).toBe(415)
    expect((await json(res)).message).toMatch(/application\/x-protobuf or application\/json/)
  })

  it('answers 415 for an unsupported content encoding', async () => {
    const res = await post('{}', { 'content-type': 'application/json', 'content-encoding': 'br' })
    expect(res.status).toBe(415)
    expect((await json(res)).message).toMatch(/Content-Encoding "br"/)
  })

  it('answers 401 for an unknown ingest key, naming the header to send', async () => {
    const res = await post('{}', { 'content-type': 'application/json', authorization: 'Bearer nope-nope-nope' })
    expect(res.status).toBe(401)
    expect((await json(res)).message).toMatch(/unknown ingest key/)
  })

  it('answers 413 over the body limit and for a gzip bomb', async () => {
    const big = await post(Buffer.alloc(2 * 1024 * 1024, 0x20), { 'content-type': 'application/json' })
    expect(big.status).toBe(413)
    expect((await json(big)).message).toMatch(/exceeds the limit of 1048576 bytes/)

    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)) // ~64 KiB on the wire
    expect(bomb.length).toBeLessThan(1024 * 1024)
    const res = await post(bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
    expect(res.status).toBe(413)
    expect((await json(res)).message).toMatch(/decompressed body exceeds/)
  })

  it('answers 400 for an empty body and for broken gzip, as google.rpc.Status in protobuf', async () => {
    const empty = await post(new Uint8Array(), { 'content-type': 'application/json' })
    expect(empty.status).toBe(400)
    const broken = await post(Buffer.from('not gzip at all'), {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'gzip',
    })
    expect(broken.status).toBe(400)
    expect(broken.headers.get('content-type')).toMatch(/application\/x-protobuf/)
    expect(Buffer.from(await broken.arrayBuffer()).toString('latin1')).toMatch(/invalid gzip body/)
  })

  it('stays up and serves health and metrics with refusals counted by reason', async () => {
    expect((await fetch(`${collector.url}/healthz`)).status).toBe(200)
    const metrics = await (
      await fetch(`${collector.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).text()
    expect(metrics).toMatch(/loopgate_collector_requests_refused_total\{reason="content_type"\} 1/)
    expect(metrics).toMatch(/loopgate_collector_requests_refused_total\{reason="too_large"\} 2/)
  })
})
