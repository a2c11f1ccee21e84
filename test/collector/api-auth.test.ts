import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { json } from '../helpers/http.ts'
import { hex, nsAgo, startApiHarness, type ApiHarness } from '../helpers/api-fixtures.ts'
import { spanRow } from '../helpers/span-row.ts'

let h: ApiHarness
const T = hex(16)

const ENDPOINTS: Array<[string, string]> = [
  ['GET', `/api/traces/${T}`],
  ['GET', '/api/sessions'],
  ['GET', '/api/sessions/s1'],
  ['GET', '/api/chargeback'],
  ['GET', '/api/chargeback?format=csv'],
  ['POST', '/api/scores'],
  ['GET', '/api/scores'],
  ['GET', '/api/route-stats'],
  ['POST', '/api/routing-decisions'],
  ['GET', '/api/routing-decisions'],
  ['GET', '/api/tenants'],
  ['GET', '/api/budgets'],
]

beforeAll(async () => {
  h = await startApiHarness()
  await h.insertSpans([
    spanRow({
      tenant_id: 'acme',
      TraceId: T,
      session_id: 's1',
      route: 'r',
      target: 't',
      Timestamp: nsAgo(1000).toString(),
    }),
    spanRow({ tenant_id: 'globex', session_id: 's2', route: 'r', target: 't', Timestamp: nsAgo(1000).toString() }),
    spanRow({ tenant_id: 'initech', Timestamp: nsAgo(1000).toString() }),
  ])
}, 120_000)

afterAll(async () => h?.close())

describe('authentication', () => {
  it('answers 401 with a clear message on every endpoint without or with a wrong token', async () => {
    for (const [method, path] of ENDPOINTS) {
      const variants: Array<Record<string, string>> = [
        {},
        { authorization: 'Bearer wrong' },
        { authorization: 'Basic abc' },
        { authorization: 'Bearer acme-ingest-nope' },
      ]
      for (const headers of variants) {
        const res = await h.raw(path, {
          method,
          headers: { ...headers, 'content-type': 'application/json' },
          body: method === 'POST' ? '{}' : undefined,
        })
        expect(res.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401)
        const body = await json(res)
        expect(body.error.message).toMatch(/credentials|token/)
      }
    }
  })

  it('accepts the admin token and tenant read keys; ingest keys only send spans', async () => {
    expect((await h.raw('/api/tenants', { token: 'acme-read' })).status).toBe(200)
    expect((await h.raw('/api/tenants', { token: 'acme-ingest' })).status).toBe(401)
  })
})

describe('GET /api/tenants', () => {
  it('lists every tenant for the admin and only itself for a tenant key', async () => {
    expect(await h.admin.tenants()).toEqual({ tenants: ['acme', 'globex', 'initech'], admin: true })
    expect(await h.tenant('globex').tenants()).toEqual({ tenants: ['globex'], admin: false })
  })
})

describe('tenant isolation', () => {
  it('a tenant key never sees another tenant’s data on any read endpoint', async () => {
    const g = h.tenant('globex')
    await expect(g.getTrace(T)).rejects.toMatchObject({ status: 404 })
    await expect(g.getSession('s1')).rejects.toMatchObject({ status: 404 })
    expect((await g.listSessions()).sessions.map((s) => s.tenant_id)).toEqual(['globex'])
    expect(new Set((await g.chargeback()).rows.map((r) => r.tenant_id))).toEqual(new Set(['globex']))
    expect((await g.routeStats({ window: '1h' })).stats.map((s) => s.requests)).toEqual([1])
    expect((await h.admin.routeStats({ window: '1h' })).stats.map((s) => s.requests)).toEqual([2])
    for (const path of [
      '/api/sessions?tenant=acme',
      '/api/chargeback?tenant=acme',
      '/api/scores?tenant=acme',
      '/api/route-stats?tenant=acme',
      `/api/traces/${T}?tenant=acme`,
      '/api/sessions/s1?tenant=acme',
      '/api/budgets?tenant=acme',
    ]) {
      const res = await h.raw(path, { token: 'globex-read' })
      expect(res.status, path).toBe(403)
      expect((await json(res)).error.field).toBe('tenant')
    }
  })
})

describe('hostile input', () => {
  it('answers 4xx and keeps serving', async () => {
    const cases: Array<[string, number]> = [
      ['/api/sessions?limit=1e309', 400],
      ['/api/sessions?limit=abc', 400],
      [`/api/sessions?q=${encodeURIComponent("'); DROP TABLE loopgate.spans; --")}`, 200],
      [`/api/sessions?user=${'u'.repeat(10_000)}`, 400],
      [`/api/sessions/${encodeURIComponent("x' OR '1'='1")}`, 404],
      ['/api/sessions?from=0&to=99999999999999999999', 400],
      ['/api/sessions?tenant=a&tenant=b', 400],
      ['/api/route-stats?window=1h&score=%00', 400],
      ['/api/scores?limit=100000000', 400],
      ['/api/nope', 404],
    ]
    for (const [path, status] of cases) {
      const res = await h.raw(path, { token: 'acme-read' })
      expect(res.status, path).toBe(status)
      expect(res.headers.get('content-type')).toMatch(/application\/json/)
    }
    const adminArray = await h.raw('/api/sessions?tenant=a&tenant=b', { token: 'admin-token-0123456789abcdef' })
    expect(adminArray.status).toBe(400)
    const wrongType = await h.raw('/api/scores', {
      method: 'POST',
      token: 'acme-read',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    })
    expect(wrongType.status).toBe(415)
    expect((await h.raw('/healthz')).status).toBe(200)
    expect((await h.admin.getTrace(T)).totals.spans).toBe(1)
  })
})

describe('OpenAPI', () => {
  it('describes every endpoint at /api/openapi.json without credentials', async () => {
    const res = await h.raw('/api/openapi.json')
    expect(res.status).toBe(200)
    const doc = await json(res)
    expect(doc.openapi).toMatch(/^3\./)
    const paths = Object.keys(doc.paths)
    for (const p of [
      '/api/traces/{traceId}',
      '/api/sessions',
      '/api/sessions/{sessionId}',
      '/api/chargeback',
      '/api/scores',
      '/api/route-stats',
      '/api/routing-decisions',
      '/api/tenants',
      '/api/budgets',
    ])
      expect(paths).toContain(p)
    const params = doc.paths['/api/chargeback'].get.parameters.map((p: { name: string }) => p.name)
    expect(params).toEqual(expect.arrayContaining(['from', 'to', 'period', 'group', 'tenant', 'format']))
    expect((await h.raw('/api/docs/')).status).toBe(200)
  })
})
