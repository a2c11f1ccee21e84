import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CollectorClient } from '../../collector/client.ts'
import { hex, nsAgo, startApiHarness, TENANTS, type ApiHarness } from '../helpers/api-fixtures.ts'
import { spanRow } from '../helpers/span-row.ts'

// Human annotation through POST /api/scores: attributed to the key that posted it, never to a name the body claims.
let h: ApiHarness
const keyId = (tenant: string, key: string) =>
  `${tenant}/sha256:${createHash('sha256').update(key).digest('hex').slice(0, 12)}`
const T = hex(16)
const LLM = hex(8)
const G = hex(16)
const G_SPAN = hex(8)
const VIEWER = 'acme-view-only-key'

beforeAll(async () => {
  h = await startApiHarness({
    tenants: [{ ...TENANTS[0]!, readOnlyKeys: [VIEWER] }, TENANTS[1]!],
    collector: { tenantFeedbackRoutes: ['support'] },
  })
  await h.insertSpans([
    spanRow({
      tenant_id: 'acme',
      TraceId: T,
      SpanId: LLM,
      route: 'support',
      target: 'openai/gpt',
      Timestamp: nsAgo(4000).toString(),
    }),
    spanRow({
      tenant_id: 'globex',
      TraceId: G,
      SpanId: G_SPAN,
      route: 'support',
      target: 'openai/gpt',
      Timestamp: nsAgo(4000).toString(),
    }),
  ])
}, 120_000)

afterAll(async () => h?.close())

describe('annotations', () => {
  it('stores a human score with its comment, attributed to the posting key (a claimed author is ignored)', async () => {
    const res = await h.tenant('acme').postScores({
      trace_id: T,
      span_id: LLM,
      name: 'human.thumbs',
      value: true,
      source: 'human',
      comment: 'right answer, too long',
      author_name: 'Dana',
      ...({ author: 'admin', posted_by: 'admin' } as object),
    })
    expect(res.scores[0]).toMatchObject({
      comment: 'right answer, too long',
      reason: '',
      author: keyId('acme', 'acme-read'),
      author_name: 'Dana',
      posted_by: 'tenant',
      route: 'support',
    })
    const trace = await h
      .tenant('acme')
      .postScores({ trace_id: T, name: 'human.topic', label: 'billing', source: 'human', comment: 'trace-level' })
    expect(trace.scores[0]).toMatchObject({ data_type: 'categorical', span_id: '', comment: 'trace-level' })
    const byAdmin = await h.admin.postScores({
      tenant_id: 'acme',
      trace_id: T,
      span_id: LLM,
      name: 'human.stars',
      value: 0.8,
      source: 'human',
    })
    expect(byAdmin.scores[0]).toMatchObject({ author: 'admin', posted_by: 'admin' })
    // Read back from the API with the comment and author, filterable by author.
    const listed = await h.tenant('acme').listScores({ author: keyId('acme', 'acme-read') })
    expect(listed.scores.map((s) => s.name).sort()).toEqual(['human.thumbs', 'human.topic'])
    const onTrace = await h.admin.getTrace(T)
    expect(onTrace.scores.find((s) => s.name === 'human.thumbs')).toMatchObject({
      comment: 'right answer, too long',
      author_name: 'Dana',
    })
  })

  it('lets a tenant key annotate only its own spans', async () => {
    await expect(
      h.tenant('acme').postScores({ trace_id: G, span_id: G_SPAN, name: 'human.thumbs', value: false, comment: 'x' }),
    ).rejects.toMatchObject({ status: 404 })
    await expect(
      h
        .tenant('acme')
        .postScores({ tenant_id: 'globex', trace_id: G, span_id: G_SPAN, name: 'human.thumbs', value: false }),
    ).rejects.toMatchObject({ status: 403 })
    expect((await h.admin.listScores({ tenant: 'globex' })).scores).toEqual([])
  })

  it('refuses read-only keys, which still read', async () => {
    const viewer = new CollectorClient({ baseUrl: h.collector.url, token: VIEWER })
    expect(await viewer.me()).toEqual({
      kind: 'tenant',
      tenant_id: 'acme',
      key_id: keyId('acme', VIEWER),
      may_annotate: false,
    })
    expect((await viewer.getTrace(T)).trace_id).toBe(T)
    await expect(
      viewer.postScores({ trace_id: T, span_id: LLM, name: 'human.thumbs', value: true }),
    ).rejects.toMatchObject({ status: 403 })
    expect(await h.tenant('acme').me()).toMatchObject({ may_annotate: true, key_id: keyId('acme', 'acme-read') })
    expect(await h.admin.me()).toEqual({ kind: 'admin', tenant_id: null, key_id: 'admin', may_annotate: true })
  })

  it('answers hostile input with 400 and stores it as plain text when it is only text', async () => {
    const bad: unknown[] = [
      { trace_id: T, span_id: LLM, name: 'human.thumbs', value: true, author_name: 'Eve\u0000\n' },
      { trace_id: T, span_id: LLM, name: 'human.thumbs', value: true, author_name: 'x'.repeat(129) },
      { trace_id: T, span_id: LLM, name: 'human.thumbs', value: true, comment: 'x'.repeat(32_769) },
      { trace_id: T, span_id: "' OR 1=1 --", name: 'human.thumbs', value: true },
      { trace_id: T, name: 'human.thumbs', value: 'yes' },
      { trace_id: T, name: 'human.stars', data_type: 'numeric', value: Number.NaN },
      { trace_id: T, name: '', value: 1 },
      { trace_id: T, name: 'human.thumbs', data_type: 'boolean', value: 7 },
    ]
    for (const body of bad) {
      const res = await h.raw('/api/scores', {
        method: 'POST',
        token: 'acme-read',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400)
    }
    const tricky = `'); DROP TABLE loopgate.scores; -- <script>alert(1)</script> {x:String}`
    const ok = await h
      .tenant('acme')
      .postScores({ trace_id: T, name: 'human.note', comment: tricky, author_name: '<b>Mallory</b>' })
    expect(ok.scores[0]).toMatchObject({ data_type: 'comment', comment: tricky, author_name: '<b>Mallory</b>' })
    expect((await h.admin.listScores({ name: 'human.note' })).scores[0]).toMatchObject({ comment: tricky })
  })

  it('counts tenant annotations in route statistics only on routes the operator opted in', async () => {
    const stats = await h.admin.routeStats({ window: '1h', route: 'support', score: 'human.thumbs' })
    const row = stats.stats.find((r) => r.target === 'openai/gpt')
    expect(row).toMatchObject({ quality_count: 1, quality_mean: 1 })
  })
})
