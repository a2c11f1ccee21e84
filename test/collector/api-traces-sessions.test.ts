import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Span } from '../../collector/client.ts'
import { CollectorApiError } from '../../collector/client.ts'
import { json } from '../helpers/http.ts'
import { hex, nsAgo, startApiHarness, type ApiHarness } from '../helpers/api-fixtures.ts'
import { spanRow } from '../helpers/span-row.ts'

let h: ApiHarness
const base = nsAgo(60 * 60_000)
const at = (ms: number) => (base + BigInt(ms) * 1_000_000n).toString()
const ms = (n: number) => (BigInt(n) * 1_000_000n).toString()

const T1 = hex(16)
const T2 = hex(16)
const OTHER = hex(16)
const ids = {
  root: hex(8),
  llm: hex(8),
  attempt: hex(8),
  tool: hex(8),
  retrieval: hex(8),
  orphan: hex(8),
  root2: hex(8),
}

beforeAll(async () => {
  h = await startApiHarness()
  const acme = { tenant_id: 'acme', user_id: 'u1' }
  await h.insertSpans([
    // Trace 1: agent → (llm → gateway attempt), (tool → retrieval); only the root carries the session id.
    spanRow({
      ...acme,
      TraceId: T1,
      SpanId: ids.root,
      SpanName: 'agent',
      span_type: 'agent',
      operation: 'agent',
      session_id: 'sess-1',
      Timestamp: at(0),
      Duration: ms(1000),
      billable: 0,
      cost_usd: '0',
      input_tokens: 0,
      output_tokens: 0,
    }),
    spanRow({
      ...acme,
      TraceId: T1,
      SpanId: ids.tool,
      ParentSpanId: ids.root,
      SpanName: 'tool',
      span_type: 'tool',
      Timestamp: at(300),
      Duration: ms(200),
      billable: 0,
      cost_usd: '0',
      is_error: 1,
      StatusCode: 'Error',
      StatusMessage: 'boom',
    }),
    spanRow({
      ...acme,
      TraceId: T1,
      SpanId: ids.llm,
      ParentSpanId: ids.root,
      SpanName: 'chat',
      Timestamp: at(100),
      Duration: ms(150),
      cost_usd: '0.000000000001',
      input_tokens: 7,
      output_tokens: 3,
      route: 'r',
      target: 'a',
      ttft_ns: ms(20),
      SpanAttributes: { 'gen_ai.request.model': 'm' },
      'Events.Timestamp': [at(110)],
      'Events.Name': ['first_token'],
      'Events.Attributes': [{ k: 'v' }],
      input_text: 'hi',
      output_text: 'hello',
    }),
    spanRow({
      ...acme,
      TraceId: T1,
      SpanId: ids.attempt,
      ParentSpanId: ids.llm,
      SpanName: 'attempt',
      Timestamp: at(105),
      Duration: ms(140),
      billable: 0,
      cost_usd: '0.5',
      input_tokens: 1000,
    }),
    spanRow({
      ...acme,
      TraceId: T1,
      SpanId: ids.retrieval,
      ParentSpanId: ids.tool,
      SpanName: 'retrieval',
      span_type: 'retrieval',
      Timestamp: at(350),
      Duration: ms(50),
      billable: 0,
      cost_usd: '0',
    }),
    spanRow({
      ...acme,
      TraceId: T1,
      SpanId: ids.orphan,
      ParentSpanId: hex(8),
      SpanName: 'late child',
      span_type: 'tool',
      Timestamp: at(900),
      Duration: ms(10),
      billable: 0,
      cost_usd: '0',
    }),
    // Trace 2 of the same session, later.
    spanRow({
      ...acme,
      TraceId: T2,
      SpanId: ids.root2,
      SpanName: 'agent-2',
      session_id: 'sess-1',
      Timestamp: at(5000),
      Duration: ms(500),
      cost_usd: '1.25',
      input_tokens: 100,
      output_tokens: 50,
    }),
    // Another tenant using the same session id and its own trace.
    spanRow({
      tenant_id: 'globex',
      user_id: 'g',
      TraceId: OTHER,
      session_id: 'sess-1',
      Timestamp: at(2000),
      cost_usd: '9',
    }),
  ])
  // Twelve one-span sessions for pagination, newest = p-11.
  await h.insertSpans(
    Array.from({ length: 12 }, (_, i) =>
      spanRow({
        tenant_id: 'acme',
        session_id: `p-${String(i).padStart(2, '0')}`,
        user_id: i % 3 === 0 ? 'alice' : 'bob',
        Timestamp: at(10_000 + i * 1000),
        cost_usd: '0.000000000001',
      }),
    ),
  )
}, 120_000)

afterAll(async () => h?.close())

describe('GET /api/traces/:traceId', () => {
  it('returns the span tree ordered by start, orphans as roots, with payload and totals', async () => {
    const trace = await h.tenant('acme').getTrace(T1)
    expect(trace.roots.map((s) => s.span_id)).toEqual([ids.root, ids.orphan])
    const root = trace.roots[0]!
    expect(root.children.map((s) => s.span_id)).toEqual([ids.llm, ids.tool])
    const llm = root.children[0]!
    expect(llm.children.map((s) => s.span_id)).toEqual([ids.attempt])
    expect(root.children[1]!.children.map((s) => s.span_id)).toEqual([ids.retrieval])
    expect(llm).toMatchObject({
      cost_usd: '0.000000000001',
      input_tokens: 7,
      output_tokens: 3,
      route: 'r',
      target: 'a',
      ttft_ms: 20,
      duration_ms: 150,
      input_text: 'hi',
      output_text: 'hello',
      billable: true,
    })
    expect(llm.attributes).toEqual({ 'gen_ai.request.model': 'm' })
    expect(llm.events).toEqual([{ time_ns: at(110), name: 'first_token', attributes: { k: 'v' } }])
    expect(llm.start_ns).toBe(at(100))
    expect(llm.end_ns).toBe(at(250))
    expect(root.children[1]).toMatchObject({ is_error: true, status_message: 'boom' })
    // Totals: only billable spans count for calls, cost and tokens (the attempt repeats its request: not a second call, its 0.5 not billed twice).
    expect(trace.totals).toEqual({
      spans: 6,
      llm_calls: 1,
      errors: 1,
      duration_ms: 1000,
      input_tokens: 7,
      output_tokens: 3,
      cache_read_tokens: 0,
      cache_write_tokens: 0,
      cost_usd: '0.000000000001',
    })
    expect(trace.session_ids).toEqual(['sess-1'])
    expect(trace.tenant_id).toBe('acme')
  })

  it('is 404 for another tenant, for an unknown id, and 400 for a malformed id', async () => {
    await expect(h.tenant('globex').getTrace(T1)).rejects.toMatchObject({ status: 404 })
    await expect(h.admin.getTrace(hex(16))).rejects.toMatchObject({ status: 404 })
    const bad = await h.raw(`/api/traces/${'z'.repeat(32)}`, { token: 'acme-read' })
    expect(bad.status).toBe(400)
    expect((await json(bad)).error.field).toBe('traceId')
    const upper = await h.admin.getTrace(T1.toUpperCase())
    expect(upper.trace_id).toBe(T1)
  })

  it('lets the admin read any tenant and narrow with tenant=', async () => {
    expect((await h.admin.getTrace(OTHER)).tenant_id).toBe('globex')
    await expect(h.admin.getTrace(OTHER, { tenant: 'acme' })).rejects.toBeInstanceOf(CollectorApiError)
    const forbidden = await h.raw(`/api/traces/${T1}?tenant=globex`, { token: 'acme-read' })
    expect(forbidden.status).toBe(403)
  })
})

describe('GET /api/sessions', () => {
  it('lists sessions newest first with rollup totals', async () => {
    const { sessions } = await h.tenant('acme').listSessions({ limit: 100 })
    expect(sessions.map((s) => s.session_id)).toEqual([
      ...Array.from({ length: 12 }, (_, i) => `p-${String(11 - i).padStart(2, '0')}`),
      'sess-1',
    ])
    const s1 = sessions.find((s) => s.session_id === 'sess-1')!
    // Only spans carrying the session id are in the rollup: the two roots.
    expect(s1).toMatchObject({
      tenant_id: 'acme',
      user_id: 'u1',
      traces: 2,
      spans: 2,
      cost_usd: '1.25',
      input_tokens: 100,
      output_tokens: 50,
      start_ns: at(0),
      end_ns: at(5500),
      duration_ms: 5500,
    })
    expect(s1.scores).toEqual({ count: 0, failed: 0, by_name: {} })
  })

  it('paginates with a cursor without gaps or repeats', async () => {
    const seen: string[] = []
    let cursor: string | undefined
    for (let page = 0; page < 10; page++) {
      const res = await h.tenant('acme').listSessions({ limit: 5, cursor })
      seen.push(...res.sessions.map((s) => s.session_id))
      if (!res.next_cursor) break
      cursor = res.next_cursor
    }
    expect(seen).toHaveLength(13)
    expect(new Set(seen).size).toBe(13)
    const bad = await h.raw('/api/sessions?cursor=not-a-cursor', { token: 'acme-read' })
    expect(bad.status).toBe(400)
    expect((await json(bad)).error.field).toBe('cursor')
  })

  it('filters by user, text and time range, and by tenant', async () => {
    const alice = await h.tenant('acme').listSessions({ user: 'alice' })
    expect(alice.sessions.map((s) => s.session_id)).toEqual(['p-09', 'p-06', 'p-03', 'p-00'])
    const q = await h.tenant('acme').listSessions({ q: 'SESS' })
    expect(q.sessions.map((s) => s.session_id)).toEqual(['sess-1'])
    const byUserText = await h.tenant('acme').listSessions({ q: 'ALI' })
    expect(byUserText.sessions).toHaveLength(4)
    const window = await h.tenant('acme').listSessions({ from: at(12_500), to: at(14_500) })
    expect(window.sessions.map((s) => s.session_id)).toEqual(['p-04', 'p-03'])
    const globex = await h.tenant('globex').listSessions()
    expect(globex.sessions.map((s) => [s.tenant_id, s.session_id, s.cost_usd])).toEqual([['globex', 'sess-1', '9']])
    const adminAll = await h.admin.listSessions({ limit: 100 })
    expect(adminAll.sessions).toHaveLength(14)
    const adminGlobex = await h.admin.listSessions({ tenant: 'globex' })
    expect(adminGlobex.sessions).toHaveLength(1)
  })

  it('refuses hostile parameters with a 400 naming the field', async () => {
    for (const [qs, field] of [
      ['limit=100000000', 'limit'],
      ['limit=-1', 'limit'],
      ['from=yesterday', 'from'],
      ['to=2024-99-99T00:00:00Z', 'to'],
      ["user=' OR 1=1 --", undefined],
    ] as const) {
      const res = await h.raw(`/api/sessions?${qs}`, { token: 'acme-read' })
      if (field === undefined) {
        expect(res.status).toBe(200)
        expect((await json(res)).sessions).toEqual([])
      } else {
        expect(res.status, qs).toBe(400)
        expect((await json(res)).error.field).toBe(field)
      }
    }
  })
})

describe('GET /api/sessions/:sessionId', () => {
  it('returns the traces in order with every span, including spans without the session id', async () => {
    const s = await h.tenant('acme').getSession('sess-1')
    expect(s.traces.map((t) => t.trace_id)).toEqual([T1, T2])
    const t1 = s.traces[0]!
    expect(t1.name).toBe('agent')
    expect(t1.spans.map((x) => x.span_id)).toEqual([
      ids.root,
      ids.llm,
      ids.attempt,
      ids.tool,
      ids.retrieval,
      ids.orphan,
    ])
    // Only the root's row names the session; every span shows it (read-time, docs/schema.md).
    expect(t1.spans.map((x) => [x.session_id, x.user_id])).toEqual(t1.spans.map(() => ['sess-1', 'u1']))
    expect(t1.totals.cost_usd).toBe('0.000000000001')
    expect(s.totals).toMatchObject({ spans: 7, cost_usd: '1.250000000001', input_tokens: 107 })
    expect(s.user_id).toBe('u1')
    expect((t1.spans[0] as Partial<Span>).attributes).toBeUndefined()
  })

  it('keeps tenants apart for the same session id', async () => {
    const g = await h.tenant('globex').getSession('sess-1')
    expect(g.traces.map((t) => t.trace_id)).toEqual([OTHER])
    expect(g.totals.cost_usd).toBe('9')
    await expect(h.tenant('globex').getSession('p-01')).rejects.toMatchObject({ status: 404 })
    const a = await h.admin.getSession('sess-1', { tenant: 'acme' })
    expect(a.traces).toHaveLength(2)
  })
})
