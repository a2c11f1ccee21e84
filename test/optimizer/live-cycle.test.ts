import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { start } from '../../optimizer/index.ts'
import { ADMIN_TOKEN } from '../helpers/collector.ts'
import { hex, nsAgo, startApiHarness, type ApiHarness } from '../helpers/api-fixtures.ts'
import { spanRow } from '../helpers/span-row.ts'

interface FakeTable {
  version: number
  routes: {
    name: string
    targets: { provider: string; model: string; weight: number }[]
    policy: Record<string, unknown>
  }[]
}

/** Stands in for the gateway's admin routing API (GET/PUT /admin/routing, bearer token, expectedVersion). */
function fakeGateway(table: FakeTable) {
  const puts: { routes: FakeTable['routes']; expectedVersion: number; reason: string; author: string }[] = []
  const server: Server = createServer((req, res) => {
    const reply = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    if (req.headers.authorization !== `Bearer ${ADMIN_TOKEN}`)
      return reply(401, { error: { message: 'admin token required' } })
    if (req.url !== '/admin/routing') return reply(404, {})
    if (req.method === 'GET')
      return reply(200, { version: table.version, updatedAt: new Date().toISOString(), routes: table.routes })
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      const put = JSON.parse(body)
      if (put.expectedVersion !== table.version)
        return reply(409, { error: { message: 'stale' }, currentVersion: table.version })
      puts.push(put)
      table.routes = put.routes
      table.version += 1
      reply(200, { version: table.version, previousVersion: table.version - 1 })
    })
  })
  return { server, puts, table }
}

describe('optimizer cycle against a real collector', () => {
  let api: ApiHarness
  let gateway: ReturnType<typeof fakeGateway>
  let gatewayUrl: string

  beforeAll(async () => {
    api = await startApiHarness()
    const spans = []
    const scores = []
    for (let i = 0; i < 40; i++) {
      for (const [model, p] of [
        ['good', 0.9],
        ['bad', 0.2],
      ] as const) {
        const row = spanRow({
          Timestamp: nsAgo(60_000 - i * 100).toString(),
          TraceId: hex(16),
          SpanId: hex(8),
          tenant_id: 'acme',
          route: 'chat',
          target: `sim/${model}`,
          request_model: model,
          cost_usd: '0.000100000000',
        })
        spans.push(row)
        scores.push({
          tenant_id: 'acme',
          trace_id: row.TraceId,
          span_id: row.SpanId,
          route: 'chat',
          target: `sim/${model}`,
          name: 'correct',
          value: (i % 10) / 10 < p,
          source: 'evaluator' as const,
        })
      }
    }
    await api.insertSpans(spans)
    await api.admin.postScores(scores)
    gateway = fakeGateway({
      version: 7,
      routes: [
        {
          name: 'chat',
          targets: [
            { provider: 'sim', model: 'good', weight: 1 },
            { provider: 'sim', model: 'bad', weight: 1 },
          ],
          policy: { maxAttempts: 2 },
        },
      ],
    })
    await new Promise<void>((resolve) => gateway.server.listen(0, '127.0.0.1', resolve))
    gatewayUrl = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    await new Promise((resolve) => gateway?.server.close(resolve))
    await api?.close()
  })

  const settings = (extra: Record<string, unknown>) => ({
    collectorUrl: api.collector.url,
    gatewayUrl,
    intervalSeconds: 3600,
    ingestLagSeconds: 0,
    score: 'correct',
    guardrails: { minSamples: 10, maxStep: 0.3 },
    ...extra,
  })

  it('dry run records the decision through the API and pushes nothing', async () => {
    const opt = await start({
      settings: settings({ dryRun: true }),
      adminToken: ADMIN_TOKEN,
      logger: pino({ level: 'silent' }),
    })
    const result = await opt.runOnce()
    await opt.close()
    expect(result.pushedVersion).toBeUndefined()
    expect(gateway.puts).toHaveLength(0)
    const { decisions } = await api.admin.listDecisions({ route: 'chat' })
    expect(decisions).toHaveLength(1)
    expect(decisions[0]).toMatchObject({ dry_run: true, applied: false, from_version: '7', to_version: '7' })
    expect(decisions[0]!.new_weights['sim/good']).toBeGreaterThan(0.7)
    expect(decisions[0]!.reason).toMatch(/^dry run — sim\/good is best/)
  })

  it('moves weight to the better target, pushes a new table version and records why', async () => {
    const opt = await start({ settings: settings({}), adminToken: ADMIN_TOKEN, logger: pino({ level: 'silent' }) })
    const result = await opt.runOnce()
    await opt.close()
    // This stand-in has no /admin/targets: the cycle goes on without list prices.
    expect(result.pricesError).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/admin\/targets failed with HTTP 404/)
    expect(result.pushedVersion).toBe('8')
    expect(gateway.puts).toHaveLength(1)
    const put = gateway.puts[0]!
    expect(put.expectedVersion).toBe(7)
    expect(put.author).toBe('optimizer')
    expect(put.routes[0]!.policy).toEqual({ maxAttempts: 2 })
    const [good, bad] = put.routes[0]!.targets
    expect(good!.weight).toBeCloseTo(0.8, 6) // 0.5 + max step 0.3
    expect(bad!.weight).toBeCloseTo(0.2, 6)
    const { decisions } = await api.admin.listDecisions({ route: 'chat' })
    const applied = decisions.find((d) => d.applied)!
    expect(applied).toMatchObject({
      from_version: '7',
      to_version: '8',
      dry_run: false,
      old_weights: { 'sim/good': 0.5, 'sim/bad': 0.5 },
    })
    const inputs = applied.inputs as {
      posteriors: { target: string; qualityMean: number; pBest: number }[]
      constraints: string[]
      stats: { qualityCount: number }[]
      objective: string
    }
    expect(inputs.posteriors.find((p) => p.target === 'sim/good')!.qualityMean).toBeGreaterThan(0.8)
    expect(inputs.stats.reduce((n, s) => n + s.qualityCount, 0)).toBe(80)
    expect(inputs.constraints).toContain('max step 0.3')
    expect(inputs.objective).toBe('quality − 50·cost')
  })
})
