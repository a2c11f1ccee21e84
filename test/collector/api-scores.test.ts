import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { json } from '../helpers/http.ts'
import { hex, nsAgo, startApiHarness, type ApiHarness } from '../helpers/api-fixtures.ts'
import { spanRow } from '../helpers/span-row.ts'

let h: ApiHarness
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')
const T = hex(16)
const ROOT = hex(8)
const LLM = hex(8)
const G = hex(16)

beforeAll(async () => {
  h = await startApiHarness()
  await h.insertSpans([
    spanRow({
      tenant_id: 'acme',
      TraceId: T,
      SpanId: ROOT,
      session_id: 'sess-a',
      span_type: 'agent',
      billable: 0,
      Timestamp: nsAgo(5000).toString(),
    }),
    spanRow({
      tenant_id: 'acme',
      TraceId: T,
      SpanId: LLM,
      ParentSpanId: ROOT,
      route: 'chat',
      target: 'openai/gpt',
      Timestamp: nsAgo(4000).toString(),
    }),
    spanRow({ tenant_id: 'globex', TraceId: G, session_id: 'sess-g', Timestamp: nsAgo(4000).toString() }),
  ])
}, 120_000)

afterAll(async () => h?.close())

describe('POST /api/scores', () => {
  it('takes human feedback from a tenant key, forced to its tenant and enriched from the span', async () => {
    const res = await h
      .tenant('acme')
      .postScores({ trace_id: T, span_id: LLM, name: 'thumbs', value: true, source: 'human', comment: 'great' })
    expect(res.accepted).toBe(1)
    expect(res.scores[0]).toMatchObject({
      tenant_id: 'acme',
      data_type: 'boolean',
      value: 1,
      session_id: 'sess-a',
      route: 'chat',
      target: 'openai/gpt',
      comment: 'great',
      reason: '',
      status: 'ok',
      author: `acme/sha256:${sha256('acme-read').slice(0, 12)}`,
    })
    const stars = await h
      .tenant('acme')
      .postScores({ trace_id: T, name: 'stars', data_type: 'numeric', value: 4, source: 'human' })
    expect(stars.scores[0]).toMatchObject({ session_id: 'sess-a', route: '', value: 4 })
    const cat = await h.tenant('acme').postScores({ session_id: 'sess-a', name: 'topic', label: 'billing' })
    expect(cat.scores[0]).toMatchObject({ data_type: 'categorical', label: 'billing', trace_id: '' })
    const listed = await h.tenant('acme').listScores({ trace_id: T })
    expect(listed.scores.map((s) => s.name).sort()).toEqual(['stars', 'thumbs'])
  })

  it('refuses to score another tenant’s trace, span or session with a tenant key', async () => {
    await expect(h.tenant('acme').postScores({ trace_id: G, name: 'thumbs', value: false })).rejects.toMatchObject({
      status: 404,
    })
    await expect(
      h.tenant('acme').postScores({ trace_id: T, span_id: hex(8), name: 'thumbs', value: false }),
    ).rejects.toMatchObject({ status: 404, field: 'span_id' })
    await expect(
      h.tenant('acme').postScores({ session_id: 'sess-g', name: 'thumbs', value: false }),
    ).rejects.toMatchObject({ status: 404, field: 'session_id' })
    await expect(
      h.tenant('acme').postScores({ tenant_id: 'globex', trace_id: G, name: 'thumbs', value: false }),
    ).rejects.toMatchObject({ status: 403 })
    // A refused batch stores nothing.
    await expect(
      h.tenant('acme').postScores([
        { trace_id: T, name: 'x', value: 1 },
        { trace_id: G, name: 'x', value: 1 },
      ]),
    ).rejects.toMatchObject({ status: 404 })
    expect((await h.admin.listScores({ name: 'x' })).scores).toEqual([])
    expect((await h.tenant('globex').listScores()).scores).toEqual([])
  })

  it('is idempotent by score_id: newest version wins at read time', async () => {
    await h.admin.postScores({
      score_id: 'fixed-1',
      tenant_id: 'acme',
      trace_id: T,
      name: 'judge',
      value: 0.2,
      source: 'evaluator',
    })
    await h.admin.postScores({
      score_id: 'fixed-1',
      tenant_id: 'acme',
      trace_id: T,
      name: 'judge',
      value: 0.9,
      source: 'evaluator',
    })
    const evalScore = {
      tenant_id: 'acme',
      trace_id: T,
      span_id: LLM,
      name: 'ref',
      version: '3',
      value: 1,
      source: 'evaluator' as const,
    }
    const a = await h.admin.postScores(evalScore)
    const b = await h.admin.postScores(evalScore)
    expect(a.scores[0]!.score_id).toBe(b.scores[0]!.score_id)
    const other = await h.admin.postScores({ ...evalScore, version: '4' })
    expect(other.scores[0]!.score_id).not.toBe(a.scores[0]!.score_id)
    const judge = await h.admin.listScores({ name: 'judge' })
    expect(judge.scores).toHaveLength(1)
    expect(judge.scores[0]).toMatchObject({ score_id: 'fixed-1', value: 0.9 })
    expect((await h.admin.listScores({ name: 'ref' })).scores).toHaveLength(2)
    // Feedback without an id gets a fresh one each time.
    const f1 = await h.tenant('acme').postScores({ trace_id: T, name: 'again', value: true })
    const f2 = await h.tenant('acme').postScores({ trace_id: T, name: 'again', value: true })
    expect(f1.scores[0]!.score_id).not.toBe(f2.scores[0]!.score_id)
  })

  it('accepts batches and filters reads', async () => {
    const batch = Array.from({ length: 50 }, (_, i) => ({
      tenant_id: 'globex',
      trace_id: G,
      name: `n${i % 5}`,
      value: i / 50,
      source: 'api' as const,
    }))
    expect((await h.admin.postScores(batch)).accepted).toBe(50)
    const raw = await h.raw('/api/scores', {
      method: 'POST',
      token: 'globex-read',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ trace_id: G, name: 'arr', value: false }]),
    })
    expect(raw.status).toBe(201)
    expect((await h.tenant('globex').listScores({ name: 'n1' })).scores).toHaveLength(10)
    expect((await h.tenant('globex').listScores({ limit: 7 })).scores).toHaveLength(7)
    expect((await h.tenant('globex').listScores({ session_id: 'sess-g' })).scores).toHaveLength(51)
    expect((await h.tenant('acme').listScores({ trace_id: G })).scores).toEqual([])
    expect((await h.admin.listScores({ trace_id: G, tenant: 'globex', limit: 1000 })).scores).toHaveLength(51)
    const future = await h.admin.listScores({ from: new Date(Date.now() + 3_600_000).toISOString() })
    expect(future.scores).toEqual([])
    await expect(h.tenant('acme').listScores({ tenant: 'globex' })).rejects.toMatchObject({ status: 403 })
  })

  it("orders, limits and ranges by each score's newest version; a score id is per tenant", async () => {
    const tick = () => new Promise((r) => setTimeout(r, 20))
    const post = (score_id: string, tenant_id: string, value: number) =>
      h.admin.postScores({ score_id, tenant_id, trace_id: tenant_id === 'acme' ? T : G, name: 'ordering', value })
    await post('first', 'acme', 0.1)
    await tick()
    await post('second', 'acme', 0.2)
    await tick()
    const between = new Date().toISOString()
    await tick()
    await post('first', 'acme', 0.7) // now the newest of the two
    await post('first', 'globex', 0.5) // another tenant's score with the same id
    const acme = (q: object) => h.admin.listScores({ name: 'ordering', tenant: 'acme', ...q })
    expect((await acme({ limit: 1 })).scores.map((s) => [s.score_id, s.value])).toEqual([['first', 0.7]])
    expect((await acme({})).scores.map((s) => s.score_id)).toEqual(['first', 'second'])
    // An older version inside the range does not bring back a score whose newest version is outside it.
    expect((await acme({ to: between })).scores.map((s) => s.score_id)).toEqual(['second'])
    expect((await acme({ from: between })).scores.map((s) => [s.score_id, s.value])).toEqual([['first', 0.7]])
    const all = await h.admin.listScores({ name: 'ordering', limit: 2 })
    expect(all.scores.map((s) => [s.tenant_id, s.score_id])).toEqual([
      ['globex', 'first'],
      ['acme', 'first'],
    ])
    expect((await h.tenant('globex').listScores({ name: 'ordering' })).scores.map((s) => s.value)).toEqual([0.5])
  })

  it('validates the body and names the field', async () => {
    const cases: Array<[unknown, string, number]> = [
      [{ trace_id: T, name: 'x', value: 1 }, 'tenant_id', 400], // admin must name the tenant
      [{ tenant_id: 'acme', trace_id: 'nothex', name: 'x', value: 1 }, 'trace_id', 400],
      [{ tenant_id: 'acme', trace_id: T, span_id: 'abc', name: 'x', value: 1 }, 'span_id', 400],
      [{ tenant_id: 'acme', name: 'x', value: 1 }, 'trace_id', 400],
      [{ tenant_id: 'acme', trace_id: T, name: 'x', data_type: 'boolean', value: 0.5 }, 'value', 400],
      [{ tenant_id: 'acme', trace_id: T, name: 'x', data_type: 'categorical' }, 'label', 400],
      [{ tenant_id: 'acme', trace_id: T, name: 'x', value: 'high' }, 'value', 400],
      [{ tenant_id: 'acme', trace_id: T, name: '' }, 'name', 400],
      [
        {
          scores: [
            { tenant_id: 'acme', trace_id: T, name: 'ok', value: 1 },
            { tenant_id: 'acme', trace_id: T, name: 'x', status: 'meh', value: 1 },
          ],
        },
        'scores[1].status',
        400,
      ],
      [[{ tenant_id: 'acme', trace_id: T, name: 'x' }], '[0].value', 400],
    ]
    for (const [body, field, status] of cases) {
      const res = await h.raw('/api/scores', {
        method: 'POST',
        token: 'admin-token-0123456789abcdef',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      expect(res.status, JSON.stringify(body)).toBe(status)
      expect((await json(res)).error.field, JSON.stringify(body)).toBe(field)
    }
    const notJson = await h.raw('/api/scores', {
      method: 'POST',
      token: 'acme-read',
      headers: { 'content-type': 'application/json' },
      body: '{"name":',
    })
    expect(notJson.status).toBe(400)
    expect((await json(notJson)).error.message).toBeTruthy()
    const huge = await h.raw('/api/scores', {
      method: 'POST',
      token: 'acme-read',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', reason: 'y'.repeat(9 * 1024 * 1024) }),
    })
    expect(huge.status).toBe(413)
    const tooMany = await h.raw('/api/scores', {
      method: 'POST',
      token: 'acme-read',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(Array.from({ length: 5001 }, () => ({ trace_id: T, name: 'x', value: 1 }))),
    })
    expect(tooMany.status).toBe(400)
  })
})
