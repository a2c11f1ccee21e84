import { Agent, request } from 'node:http'
import { describe, expect, it } from 'vitest'
import { KEY, startHarness } from '../gateway/harness.ts'
import { ADMIN_TOKEN, startTestCollector } from '../helpers/collector.ts'

/**
 * A shutdown with a request in flight: the request is answered in full, with `Connection: close` so
 * its client does not reuse a connection about to close, and close() returns soon after — not when
 * its keep-alive connection times out (65 s on the gateway, 72 s on the collector, as both did
 * before lib/close-server.ts).
 */
const CLOSE_WITHIN_MS = 5_000

interface Sent {
  status: number
  connection: string | undefined
  body: string
}

/** POST over a keep-alive connection; `second` is written after `pause`, so the request is in flight meanwhile. */
function post(url: string, headers: Record<string, string>, first: string, second = '', pause = 0): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers, agent: new Agent({ keepAlive: true }) }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }))
    })
    req.on('error', reject)
    req.write(first)
    setTimeout(() => req.end(second), pause)
  })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function timedClose(close: () => Promise<void>): Promise<number> {
  const t0 = Date.now()
  await close()
  return Date.now() - t0
}

describe('close() with a request in flight', () => {
  it('gateway: the answer (JSON and stream) completes and close() does not wait for keep-alive', async () => {
    const h = await startHarness({ sim: { models: { 'sim-small': { ttftMs: 600 } } } })
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }
    const ask = (stream: boolean) =>
      post(
        `${h.url}/v1/chat/completions`,
        headers,
        JSON.stringify({ model: 'chat', stream, messages: [{ role: 'user', content: 'hi' }] }),
      )
    const answers = [ask(false), ask(true)]
    await sleep(200) // both are waiting for the upstream's first token
    const closing = timedClose(() => h.close())
    const [json, stream] = (await Promise.all(answers)) as [Sent, Sent]
    expect(json.status).toBe(200)
    expect(JSON.parse(json.body).choices[0].message.content.split(' ')).toHaveLength(16)
    expect(stream.status).toBe(200)
    expect(stream.body.trim().endsWith('data: [DONE]')).toBe(true)
    expect([json.connection, stream.connection]).toEqual(['close', 'close'])
    expect(await closing).toBeLessThan(CLOSE_WITHIN_MS)
  })

  it('collector: a batch still arriving is stored and acknowledged, and close() does not wait for keep-alive', async () => {
    const collector = await startTestCollector()
    const traceId = '5b8efff798038103d269b633813fc60c'
    const batch = JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'late-agent' } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId,
                  spanId: 'eee19b7ec3c1b174',
                  name: 'chat gpt-4o-mini',
                  kind: 3,
                  startTimeUnixNano: String(BigInt(Date.now() - 1000) * 1_000_000n),
                  endTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
                  attributes: [{ key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } }],
                },
              ],
            },
          ],
        },
      ],
    })
    const half = Math.floor(batch.length / 2)
    const sent = post(
      `${collector.url}/v1/traces`,
      { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(batch)) },
      batch.slice(0, half),
      batch.slice(half),
      500,
    )
    await sleep(200) // half the body is in
    const closing = timedClose(() => collector.close())
    const ack = await sent
    expect(ack.status).toBe(200)
    expect(ack.connection).toBe('close')
    expect(await closing).toBeLessThan(CLOSE_WITHIN_MS)
    const reopened = await startTestCollector({ dataDir: collector.dataDir })
    try {
      const res = await fetch(`${reopened.url}/api/traces/${traceId}`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      })
      expect(res.status).toBe(200)
      expect(((await res.json()) as { roots: { name: string }[] }).roots.map((s) => s.name)).toEqual([
        'chat gpt-4o-mini',
      ])
    } finally {
      await reopened.close()
    }
  })
})
