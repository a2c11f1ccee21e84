import { afterAll, describe, expect, it } from 'vitest'
import { storageConfigSchema } from '../../collector/config.ts'
import { openStore } from '../../collector/storage/store.ts'
import { ADMIN_TOKEN, startTestCollector } from '../helpers/collector.ts'
import { json } from '../helpers/http.ts'

// A tiny buffer and a long linger: the second request finds the buffer full.
const collector = await startTestCollector({
  collector: { writer: { maxPendingRows: 3, maxBatchRows: 3, lingerMs: 1000 } },
})
const store = await openStore(storageConfigSchema.parse({ path: collector.dataDir }))
afterAll(async () => {
  await collector.close()
  await store.close()
})

const now = () => BigInt(Date.now()) * 1_000_000n
function body(traceByte: string, spans: number) {
  const start = now()
  return JSON.stringify({
    resourceSpans: [
      {
        scopeSpans: [
          {
            spans: Array.from({ length: spans }, (_, i) => ({
              traceId: traceByte.repeat(16),
              spanId: (i + 1).toString(16).padStart(16, '0'),
              name: `s${i}`,
              startTimeUnixNano: String(start),
              endTimeUnixNano: String(start + 1000n),
            })),
          },
        ],
      },
    ],
  })
}
const post = (b: string) =>
  fetch(`${collector.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: b })
const stored = async (traceByte: string) => {
  const rs = await store.client.query({
    query: 'SELECT count() AS n FROM loopgate.spans WHERE TraceId = {t:String}',
    query_params: { t: traceByte.repeat(16) },
    format: 'JSONEachRow',
  })
  return Number((await rs.json<{ n: string }>())[0]!.n)
}

async function bufferHolds(rows: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const metrics = await (
      await fetch(`${collector.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).text()
    if (new RegExp(`^loopgate_collector_buffer_rows ${rows}$`, 'm').test(metrics)) return
    await new Promise((r) => setTimeout(r, 5))
  }
  throw new Error(`buffer never held ${rows} rows`)
}

describe('ingest under backpressure and storage failure', () => {
  it('answers 429 with Retry-After when the buffer is full, and stores what it acknowledged', async () => {
    const firstRequest = post(body('a1', 3))
    await bufferHolds(3) // the first request waits in the buffer (linger) …
    const second = await post(body('a2', 2)) // … so the second finds it full
    const first = await firstRequest
    expect(first.status).toBe(200)
    expect(second.status).toBe(429)
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect((await json(second)).message).toMatch(/buffer is full/)
    expect(await stored('a1')).toBe(3)
    expect(await stored('a2')).toBe(0)
  })

  it('answers 503 with Retry-After when ClickHouse fails the insert, and stores again once it recovers', async () => {
    await store.client.command({ query: 'RENAME TABLE loopgate.spans TO loopgate.spans_away' })
    const refused = await post(body('b1', 2))
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBeTruthy()
    expect((await json(refused)).message).toMatch(/storage is unavailable/)
    await store.client.command({ query: 'RENAME TABLE loopgate.spans_away TO loopgate.spans' })
    const retried = await post(body('b1', 2)) // what an OTLP exporter does after Retry-After
    expect(retried.status).toBe(200)
    expect(await stored('b1')).toBe(2)
  })
})
