import { pino } from 'pino'
import { scaled } from '../helpers/decimal.ts'
import { afterAll, describe, expect, it } from 'vitest'
import { CollectorClient } from '../../collector/client.ts'
import { collectorConfigSchema, storageConfigSchema } from '../../collector/config.ts'
import { createCollectorMetrics } from '../../collector/metrics.ts'
import { Normalizer } from '../../collector/normalize/index.ts'
import { decodeJson } from '../../collector/otlp/decode.ts'
import { createStorageClient } from '../../collector/storage/client.ts'
import { openStore } from '../../collector/storage/store.ts'
import { SpanWriter } from '../../collector/storage/writer.ts'
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.ts'
import { agentBatch, expectedOf, traceSpanCounts } from './otlp-batches.ts'

// Acknowledged means stored once: a re-sent span (same tenant, trace id, span id) never shows twice
// in traces, sessions or chargeback — re-sent in sequence, concurrently, after a restart, and after
// a crash that came between the INSERT and the ack.
const tenants = [{ id: 'acme', ingestKeys: ['acme-ingest'], readKeys: ['acme-read'] }]
let collector: TestCollector = await startTestCollector({ tenants })
afterAll(() => collector.close())

/** Sends as an OTLP exporter does: a 429/503 is retried after its Retry-After (this machine may be slow). */
async function send(body: string): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer acme-ingest' },
      body,
    })
    if ((res.status !== 429 && res.status !== 503) || attempt === 5) return res
    await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after')) * 1000))
  }
}
const api = () => new CollectorClient({ baseUrl: collector.url, token: ADMIN_TOKEN })

/** The API shows each span of `bs` once: traces, sessions, chargeback (and chargeback equals the unique spans' sums). */
async function expectStoredOnce(bs: number[]) {
  const client = api()
  expect(new Set(await traceSpanCounts(client, bs))).toEqual(new Set([2]))
  const expected = expectedOf(bs)
  const { sessions } = await client.listSessions({ tenant: 'acme', limit: 500 })
  for (const [id, want] of expected.sessions) {
    const s = sessions.find((x) => x.session_id === id)
    expect(s, id).toBeDefined()
    expect({ id, spans: s!.spans, input: s!.input_tokens }).toEqual({ id, spans: want.spans, input: want.input })
  }
  const all = expectedOf(storedBatches)
  const charge = await client.chargeback({ tenant: 'acme', period: 'day' })
  expect({
    requests: charge.totals.requests,
    input: charge.totals.input_tokens,
    output: charge.totals.output_tokens,
  }).toEqual({ requests: all.llmCalls, input: all.input, output: all.output })
  // The cost equals the sum over unique spans, computed from storage with an explicit dedup.
  expect(scaled(charge.totals.cost_usd)).toBe(scaled(await uniqueCost()))
  expect(Number(charge.totals.cost_usd)).toBeGreaterThan(0)
}

async function uniqueCost(): Promise<string> {
  const db = await createStorageClient(storageConfigSchema.parse({ path: collector.dataDir }))
  try {
    const rs = await db.query({
      query: `SELECT toString(sum(c)) AS cost FROM (SELECT any(cost_usd) AS c FROM loopgate.spans WHERE tenant_id = 'acme' AND billable = 1 GROUP BY TraceId, SpanId)`,
      format: 'JSONEachRow',
    })
    const [row] = await rs.json<{ cost: string }>()
    return row!.cost
  } finally {
    await db.close()
  }
}

const storedBatches: number[] = []

describe('a re-sent span is stored once', () => {
  it('when the same batch is sent again and again', async () => {
    for (let i = 0; i < 3; i++) expect((await send(agentBatch(1))).status).toBe(200)
    storedBatches.push(1)
    await expectStoredOnce([1])
  })

  it('when copies of a batch arrive at the same time', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => send(agentBatch(2))))
    expect(answers.map((r) => r.status)).toEqual(Array(8).fill(200))
    storedBatches.push(2)
    await expectStoredOnce([1, 2])
  })

  it('when a batch overlaps one already stored', async () => {
    const half = JSON.parse(agentBatch(3))
    half.resourceSpans[0].scopeSpans[0].spans.splice(20) // the first 10 traces of batch 3
    expect((await send(JSON.stringify(half))).status).toBe(200)
    expect((await send(agentBatch(3))).status).toBe(200) // all of batch 3: the first half is a re-send
    storedBatches.push(3)
    await expectStoredOnce([1, 2, 3])
  })

  it('after a restart on the same data', async () => {
    await collector.close()
    collector = await startTestCollector({ tenants, dataDir: collector.dataDir })
    for (const b of [1, 2, 3]) expect((await send(agentBatch(b))).status).toBe(200)
    await expectStoredOnce([1, 2, 3])
  })

  it('after a crash between the INSERT and the ack', async () => {
    // What a collector killed (-9) after its INSERT and before its ack leaves behind: batch 4 stored,
    // never acknowledged. Made here by the collector's own writer on the stopped collector's data.
    await collector.close()
    const store = await openStore(storageConfigSchema.parse({ path: collector.dataDir }))
    const { rows } = new Normalizer().normalize(decodeJson(agentBatch(4)), {
      tenantId: 'acme',
      trustTenantAttribute: false,
    })
    const writer = new SpanWriter(
      store,
      collectorConfigSchema.parse({}).writer,
      createCollectorMetrics(),
      pino({ level: 'silent' }),
    )
    await writer.write(rows)
    await writer.close()
    await store.close()
    // The exporter never got its ack, so it sends batch 4 again to the restarted collector.
    collector = await startTestCollector({ tenants, dataDir: collector.dataDir })
    expect((await send(agentBatch(4))).status).toBe(200)
    storedBatches.push(4)
    await expectStoredOnce([1, 2, 3, 4])
    const metrics = await (
      await fetch(`${collector.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).text()
    expect(Number(/^loopgate_collector_spans_duplicate_total (\d+)$/m.exec(metrics)?.[1])).toBe(40)
  })
})
