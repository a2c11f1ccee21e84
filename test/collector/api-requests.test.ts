import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ListRequestsQuery, RequestRow } from '../../collector/client.ts'
import { json } from '../helpers/http.ts'
import { hex, nsAgo, startApiHarness, type ApiHarness } from '../helpers/api-fixtures.ts'
import { spanRow } from '../helpers/span-row.ts'

let h: ApiHarness
const base = nsAgo(60 * 60_000)
const at = (ms: number) => (base + BigInt(ms) * 1_000_000n).toString()
const ms = (n: number) => (BigInt(n) * 1_000_000n).toString()

// Three acme LLM calls with distinct values in every column, a non-billable gateway attempt under
// one of them, an old call (3 days ago: found only once the newest-first windows widen), a
// globex call sharing names and text, and a bulk of calls (some at the same instant) for paging.
const T = { r1: hex(16), r2: hex(16), r3: hex(16), old: hex(16), g1: hex(16) }
const S = { r1: hex(8), r2: hex(8), r3: hex(8), attempt: hex(8), old: hex(8), g1: hex(8) }
const BULK = 30
const bulk = {
  tenant_id: 'acme',
  route: 'bulk',
  user_id: 'dave',
  provider: 'other',
  request_model: 'bulk-model',
  response_model: 'bulk-model',
}

beforeAll(async () => {
  h = await startApiHarness()
  await h.insertSpans([
    spanRow({
      tenant_id: 'acme',
      TraceId: T.r1,
      SpanId: S.r1,
      Timestamp: at(3000),
      Duration: ms(100),
      ttft_ns: ms(20),
      route: 'support',
      target: 'openai/gpt-4o-mini',
      provider: 'openai',
      request_model: 'support',
      response_model: 'gpt-4o-mini',
      input_tokens: 10,
      output_tokens: 5,
      cost_usd: '0.000001',
      user_id: 'alice',
      session_id: 's1',
      SpanAttributes: { 'tag.tags': '["vip","beta"]' },
      input_text: 'Where is my ORDER?',
      output_text: 'Shipped.',
    }),
    spanRow({
      tenant_id: 'acme',
      TraceId: T.r2,
      SpanId: S.r2,
      Timestamp: at(2000),
      Duration: ms(900),
      route: 'search',
      target: 'anthropic/claude-3-5-haiku',
      provider: 'anthropic',
      request_model: 'claude-3-5-haiku',
      response_model: 'claude-3-5-haiku',
      input_tokens: 1000,
      output_tokens: 200,
      cost_usd: '0.002',
      is_error: 1,
      StatusCode: 'Error',
      StatusMessage: 'upstream 503',
      user_id: 'bob',
      SpanAttributes: { 'langfuse.trace.tags': 'vip, internal' },
      input_text: 'refund please',
      output_text: '',
    }),
    spanRow({
      tenant_id: 'acme',
      TraceId: T.r3,
      SpanId: S.r3,
      Timestamp: at(1000),
      Duration: ms(300),
      ttft_ns: ms(150),
      route: 'support',
      target: 'openai/gpt-4o',
      provider: 'openai',
      request_model: 'gpt-4o',
      response_model: '',
      input_tokens: 100,
      output_tokens: 50,
      cost_usd: '0.0005',
      user_id: 'alice',
      session_id: 's2',
      ResourceAttributes: { 'service.name': 'test', 'ai.telemetry.metadata.tags': '["batch"]' },
      input_text: 'Summarize',
      output_text: 'An order summary',
    }),
    // The gateway attempt under r3: the same call, not billable, so never a row of its own.
    spanRow({
      tenant_id: 'acme',
      TraceId: T.r3,
      SpanId: S.attempt,
      ParentSpanId: S.r3,
      Timestamp: at(1010),
      billable: 0,
      route: 'support',
      cost_usd: '0.0005',
      input_text: 'Summarize',
    }),
    spanRow({
      tenant_id: 'acme',
      TraceId: T.old,
      SpanId: S.old,
      Timestamp: nsAgo(3 * 86_400_000).toString(),
      route: 'old',
      user_id: 'carol',
      provider: 'other',
      request_model: 'old-model',
      response_model: 'old-model',
    }),
    spanRow({
      tenant_id: 'globex',
      TraceId: T.g1,
      SpanId: S.g1,
      Timestamp: at(2500),
      route: 'support',
      provider: 'openai',
      user_id: 'alice',
      session_id: 's1',
      SpanAttributes: { 'tag.tags': '["vip"]' },
      input_text: 'ORDER secret',
      cost_usd: '0.9',
    }),
    // Bulk: pairs share a timestamp, so the keyset's tie-break decides the page boundaries.
    ...Array.from({ length: BULK }, (_, i) => spanRow({ ...bulk, Timestamp: at(-10_000 - Math.floor(i / 2) * 1000) })),
  ])
  await h.admin.postScores([
    {
      tenant_id: 'acme',
      trace_id: T.r1,
      span_id: S.r1,
      name: 'helpfulness',
      source: 'evaluator',
      value: 0.9,
      version: '1',
    },
    {
      tenant_id: 'acme',
      trace_id: T.r2,
      span_id: S.r2,
      name: 'helpfulness',
      source: 'evaluator',
      value: 0.8,
      version: '1',
    },
    {
      tenant_id: 'acme',
      trace_id: T.r1,
      span_id: S.r1,
      name: 'json_valid',
      source: 'evaluator',
      value: true,
      version: '1',
    },
    {
      tenant_id: 'globex',
      trace_id: T.g1,
      span_id: S.g1,
      name: 'helpfulness',
      source: 'evaluator',
      value: 0.5,
      version: '1',
    },
  ])
  await new Promise((r) => setTimeout(r, 5))
  // A newer version of r1's helpfulness: the newest per name is what the row shows and filters on.
  await h.admin.postScores({
    tenant_id: 'acme',
    trace_id: T.r1,
    span_id: S.r1,
    name: 'helpfulness',
    source: 'evaluator',
    value: 0.3,
    version: '2',
  })
}, 120_000)

afterAll(async () => h?.close())

const acme = (q: ListRequestsQuery = {}) => h.tenant('acme').listRequests({ limit: 500, ...q })
const ids = async (q: ListRequestsQuery) => (await acme(q)).requests.map((r) => r.span_id)

describe('GET /api/requests', () => {
  it('lists every billable call newest first with each column, never the attempt under a gateway request', async () => {
    const { requests, next_cursor } = await acme()
    expect(requests).toHaveLength(3 + 1 + BULK)
    expect(next_cursor).toBeNull()
    expect(requests.slice(0, 3).map((r) => r.span_id)).toEqual([S.r1, S.r2, S.r3])
    expect(requests.at(-1)!.span_id).toBe(S.old)
    expect(requests.map((r) => r.span_id)).not.toContain(S.attempt)
    const starts = requests.map((r) => BigInt(r.start_ns))
    expect(starts.every((s, i) => i === 0 || s <= starts[i - 1]!)).toBe(true)
    const [r1, r2, r3] = requests as [RequestRow, RequestRow, RequestRow]
    expect(r1).toMatchObject({
      trace_id: T.r1,
      tenant_id: 'acme',
      start_ns: at(3000),
      route: 'support',
      target: 'openai/gpt-4o-mini',
      provider: 'openai',
      model: 'gpt-4o-mini',
      status: 'ok',
      duration_ms: 100,
      ttft_ms: 20,
      input_tokens: 10,
      output_tokens: 5,
      cost_usd: '0.000001',
      user_id: 'alice',
      session_id: 's1',
      tags: ['vip', 'beta'],
    })
    expect(r1.scores.map((s) => [s.name, s.value])).toEqual([
      ['helpfulness', 0.3],
      ['json_valid', 1],
    ])
    expect(r2).toMatchObject({
      status: 'error',
      status_message: 'upstream 503',
      ttft_ms: null,
      model: 'claude-3-5-haiku',
      session_id: '',
      tags: ['vip', 'internal'],
    })
    expect(r3).toMatchObject({ model: 'gpt-4o', tags: ['batch'], scores: [] })
  })

  it('filters by each name (any of several values) and by status', async () => {
    expect(await ids({ route: 'support' })).toEqual([S.r1, S.r3])
    expect(await ids({ route: ['support', 'search'] })).toEqual([S.r1, S.r2, S.r3])
    expect(await ids({ model: 'gpt-4o' })).toEqual([S.r3])
    expect(await ids({ model: ['gpt-4o-mini', 'claude-3-5-haiku'] })).toEqual([S.r1, S.r2])
    expect(await ids({ provider: 'anthropic' })).toEqual([S.r2])
    expect(await ids({ status: 'error' })).toEqual([S.r2])
    expect((await ids({ status: 'ok' })).includes(S.r2)).toBe(false)
    expect(await ids({ status: ['ok', 'error'], route: 'search' })).toEqual([S.r2])
    expect(await ids({ user: 'alice' })).toEqual([S.r1, S.r3])
    expect(await ids({ user: ['bob', 'carol'] })).toEqual([S.r2, S.old])
    expect(await ids({ session: 's2' })).toEqual([S.r3])
    expect(await ids({ tag: 'vip' })).toEqual([S.r1, S.r2])
    expect(await ids({ tag: ['internal', 'batch'] })).toEqual([S.r2, S.r3])
    expect(await ids({ tenant: 'acme', route: 'old' })).toEqual([S.old])
  })

  it('filters by each range: latency, ttft, tokens, cost (exact decimals) and score value', async () => {
    expect(await ids({ latency_min: 100, latency_max: 300, route: ['support', 'search'] })).toEqual([S.r1, S.r3])
    expect(await ids({ latency_min: 301 })).toEqual([S.r2])
    expect(await ids({ ttft_max: 100 })).toEqual([S.r1]) // unmeasured (0) never matches a ttft range
    expect(await ids({ ttft_min: 100 })).toEqual([S.r3])
    expect(await ids({ tokens_min: 150, tokens_max: 150 })).toEqual([S.r3])
    expect(await ids({ tokens_min: 1000 })).toEqual([S.r2])
    expect(await ids({ cost_min: '0.0005', cost_max: '0.0005' })).toEqual([S.r3])
    expect(await ids({ cost_min: '0.000500000001' })).toEqual([S.r2])
    expect(await ids({ score: 'json_valid' })).toEqual([S.r1])
    // r1's newest helpfulness is 0.3 (its older 0.9 no longer counts).
    expect(await ids({ score: 'helpfulness', score_min: 0.5 })).toEqual([S.r2])
    expect(await ids({ score: 'helpfulness', score_max: 0.5 })).toEqual([S.r1])
    expect(await ids({ score: 'helpfulness', score_min: 0.85 })).toEqual([])
  })

  it('searches input and output text case-insensitively', async () => {
    expect(await ids({ q: 'order' })).toEqual([S.r1, S.r3]) // r1's input, r3's output
    expect(await ids({ q: 'REFUND' })).toEqual([S.r2])
    expect(await ids({ q: 'no such text' })).toEqual([])
  })

  it('combines filters and a time range', async () => {
    expect(await ids({ route: 'support', user: 'alice', tag: 'vip', q: 'order' })).toEqual([S.r1])
    expect(await ids({ from: at(1500), to: at(2500) })).toEqual([S.r2])
    expect(await ids({ route: 'old', from: new Date(Date.now() - 86_400_000).toISOString() })).toEqual([])
  })

  it('pages with a cursor through ties and widening windows without duplicates or gaps', async () => {
    const all = (await acme()).requests.map((r) => `${r.trace_id}/${r.span_id}`)
    for (const size of [1, 4, 7]) {
      const seen: string[] = []
      let cursor: string | undefined
      for (let page = 0; page < 100; page++) {
        const res = await h.tenant('acme').listRequests({ limit: size, cursor })
        expect(res.requests.length).toBeLessThanOrEqual(size)
        seen.push(...res.requests.map((r) => `${r.trace_id}/${r.span_id}`))
        if (!res.next_cursor) break
        cursor = res.next_cursor
      }
      expect(seen).toEqual(all)
    }
    // A filtered walk too, and a page stays the same when newer calls arrive meanwhile.
    const first = await h.tenant('acme').listRequests({ route: 'bulk', limit: 10 })
    await h.insertSpans([spanRow({ ...bulk, Timestamp: nsAgo(1000).toString() })])
    const second = await h.tenant('acme').listRequests({ route: 'bulk', limit: 10, cursor: first.next_cursor! })
    const rest = await h.tenant('acme').listRequests({ route: 'bulk', limit: 100, cursor: second.next_cursor! })
    expect(first.requests.length + second.requests.length + rest.requests.length).toBe(BULK)
    expect(new Set([...first.requests, ...second.requests, ...rest.requests].map((r) => r.span_id)).size).toBe(BULK)
  })

  it('keeps tenants apart: a tenant key sees and filters only its own tenant', async () => {
    const globex = await h.tenant('globex').listRequests()
    expect(globex.requests.map((r) => r.span_id)).toEqual([S.g1])
    expect(globex.requests[0]!.scores.map((s) => s.value)).toEqual([0.5])
    // Names, text and scores of globex never leak into acme's results.
    expect(await ids({ q: 'secret' })).toEqual([])
    expect(await ids({ score: 'helpfulness', score_min: 0.45, score_max: 0.55 })).toEqual([])
    expect((await acme({ cost_min: '0.5' })).requests).toEqual([])
    for (const query of ['tenant=globex', 'tenant=acme&tenant=globex']) {
      const res = await h.raw(`/api/requests?${query}`, { token: 'acme-read' })
      expect(res.status).toBe(403)
      expect((await json(res)).error.field).toBe('tenant')
    }
    expect(await ids({ tenant: 'acme', route: 'search' })).toEqual([S.r2])
    // The admin sees every tenant, and narrows to one or several.
    const admin = await h.admin.listRequests({ route: 'support', limit: 500 })
    expect(admin.requests.map((r) => r.span_id)).toEqual([S.r1, S.g1, S.r3])
    expect((await h.admin.listRequests({ tenant: 'globex' })).requests.map((r) => r.span_id)).toEqual([S.g1])
    expect(
      (await h.admin.listRequests({ tenant: ['globex', 'acme'], q: 'order' })).requests.map((r) => r.span_id),
    ).toEqual([S.r1, S.g1, S.r3])
    expect((await h.raw('/api/requests')).status).toBe(401)
  })

  it('answers a bad parameter with a 400 naming it', async () => {
    const cases: [string, string][] = [
      ['latency_min=-1', 'latency_min'],
      ['latency_min=fast', 'latency_min'],
      ['latency_min=500&latency_max=100', 'latency_min'],
      ['ttft_max=abc', 'ttft_max'],
      ['tokens_min=1.5', 'tokens_min'],
      ['tokens_min=9&tokens_max=3', 'tokens_min'],
      ['cost_min=1e-3', 'cost_min'],
      ['cost_max=-0.1', 'cost_max'],
      ['cost_min=0.2&cost_max=0.10', 'cost_min'],
      ['status=maybe', 'status'],
      ['score_min=0.5', 'score'],
      ['score=h&score_min=0.9&score_max=0.1', 'score_min'],
      ['score=h&score_max=x', 'score_max'],
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['cursor=not-a-cursor', 'cursor'],
      [`cursor=${Buffer.from(JSON.stringify(['1', 'zz', 'yy', 'acme'])).toString('base64url')}`, 'cursor'],
      ['from=yesterday', 'from'],
      ['from=2030-01-02&to=2030-01-01', 'from'],
      ['route=%01', 'route'],
      [`model=${'m'.repeat(300)}`, 'model'],
      [`q=${'x'.repeat(300)}`, 'q'],
      [Array.from({ length: 51 }, (_, i) => `user=u${i}`).join('&'), 'user'],
    ]
    for (const [query, field] of cases) {
      const res = await h.raw(`/api/requests?${query}`, { token: 'acme-read' })
      const body = await json(res)
      expect([query, res.status]).toEqual([query, 400])
      expect([query, body.error.field]).toEqual([query, field])
      expect(body.error.message).toContain(field)
    }
    const unknown = await h.raw('/api/requests?modle=gpt-4o', { token: 'acme-read' })
    expect(unknown.status).toBe(400)
    expect((await json(unknown)).error.message).toContain('modle')
  })

  it('is described in the OpenAPI document', async () => {
    const doc = await json(await h.raw('/api/openapi.json'))
    const params = doc.paths['/api/requests'].get.parameters.map((p: { name: string }) => p.name)
    expect(params).toEqual(
      expect.arrayContaining(['route', 'model', 'tag', 'latency_min', 'cost_max', 'score', 'q', 'cursor']),
    )
  })
})
