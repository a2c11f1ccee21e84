import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CollectorClient } from '../../collector/client.ts'
import type { StoredSpan } from '../../collector/index.ts'
import { evaluatorConfigSchema } from '../../evaluator/config.ts'
import { createEvaluationEnqueuer } from '../../evaluator/enqueue.ts'
import type { EvaluationJob } from '../../evaluator/jobs.ts'
import type { NewJob } from '../../evaluator/queue/types.ts'
import { post, startHarness, type Harness } from '../gateway/harness.ts'
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.ts'
import { eventually, freePort } from '../helpers/net.ts'

// Issue 15: requests where every target failed count in chargeback's errors column and in route
// statistics' error rate — through a real gateway exporting to a real collector on chDB.

const FAILED = 5
const SERVED = 3
const chat = (model: string) => ({ model, messages: [{ role: 'user', content: 'hi' }] })

let collector: TestCollector
let h: Harness
let api: CollectorClient
const stored: StoredSpan[] = []
beforeAll(async () => {
  collector = await startTestCollector({ onStored: (rows) => void stored.push(...rows) })
  const closed = await freePort()
  h = await startHarness({
    exportToken: ADMIN_TOKEN,
    sim: { models: { broken: { errorRate: 1 } } },
    gateway: (sim) => ({
      providers: {
        sim: { protocol: 'openai', baseUrl: sim.openaiBaseUrl, apiKeyEnv: 'SIM_KEY' },
        dead: { protocol: 'openai', baseUrl: `http://127.0.0.1:${closed}/v1`, apiKeyEnv: 'SIM_KEY' },
      },
      routes: [
        // Every target fails: a 500 and a refused connection.
        {
          name: 'down',
          targets: [
            { provider: 'sim', model: 'broken' },
            { provider: 'dead', model: 'gone', weight: 0 },
          ],
          policy: { breaker: { failureThreshold: 100 } },
        },
        { name: 'up', targets: [{ provider: 'sim', model: 'good', price: { input: '1', output: '1' } }] },
      ],
      telemetry: { enabled: true, collectorUrl: collector.url, scheduledDelayMs: 100 },
    }),
  })
  api = new CollectorClient({ baseUrl: collector.url, token: ADMIN_TOKEN })
})
afterAll(async () => {
  await h?.close()
  await collector?.close()
})

describe('requests that failed on every target', () => {
  it('show in chargeback errors and in the route error rate', async () => {
    for (let i = 0; i < FAILED; i++)
      expect((await post(`${h.url}/v1/chat/completions`, chat('down'))).status).toBeGreaterThanOrEqual(500)
    for (let i = 0; i < SERVED; i++) expect((await post(`${h.url}/v1/chat/completions`, chat('up'))).status).toBe(200)
    await h.gw.flushTelemetry()
    // The served requests arrived: so did the failed ones (exported before them).
    await eventually('the served requests in route stats', async () => {
      const s = await api.routeStats({ window: '1h' })
      return s.stats.some((x) => x.route === 'up' && x.requests === SERVED) || undefined
    })

    expect(await (await fetch(`${h.url}/metrics`)).text()).toContain(
      `loopgate_gateway_events_total{reason="route_failed"} ${FAILED}`,
    )

    const chargeback = await api.chargeback({ tenant: 'acme', group: 'route', period: 'day' })
    const down = chargeback.rows.filter((r) => r.key === 'down')
    const downRequests = down.reduce((a, r) => a + Number(r.requests), 0)
    const downErrors = down.reduce((a, r) => a + Number(r.errors), 0)
    console.log(
      `chargeback route "down": requests ${downRequests}, errors ${downErrors}; totals ${JSON.stringify({ requests: chargeback.totals.requests, errors: chargeback.totals.errors })}`,
    )
    const stats = await api.routeStats({ window: '1h', route: 'down' })
    console.log(
      `route-stats "down": ${JSON.stringify(stats.stats.map((s) => ({ target: s.target, requests: s.requests, errors: s.errors, error_rate: s.error_rate })))}`,
    )
    expect(downRequests).toBe(FAILED)
    expect(downErrors).toBe(FAILED)
    expect(Number(chargeback.totals.errors)).toBe(FAILED)
    expect(Number(chargeback.totals.requests)).toBe(FAILED + SERVED)
    expect(chargeback.totals.cost_usd).toBe(chargeback.rows.find((r) => r.key === 'up')!.cost_usd) // failures cost nothing

    // A route-level error: on no target (the attempts' own targets keep their own attempt spans).
    expect(stats.stats).toEqual([
      expect.objectContaining({ route: 'down', target: '', requests: FAILED, errors: FAILED, error_rate: 1 }),
    ])
    const up = (await api.routeStats({ window: '1h', route: 'up' })).stats
    expect(up).toEqual([
      expect.objectContaining({ route: 'up', target: 'sim/good', requests: SERVED, errors: 0, error_rate: 0 }),
    ])
  })

  it('are not sent for evaluation: there is no answer to judge', async () => {
    const jobs: NewJob<EvaluationJob>[] = []
    const settings = evaluatorConfigSchema.parse({
      collectorUrl: collector.url,
      defaults: { delayMs: 0, scorers: ['heuristics'] },
    })
    await createEvaluationEnqueuer(settings, { add: async (j) => void jobs.push(...j) })(stored)
    expect(stored.filter((r) => r.route === 'down' && r.billable === 1)).toHaveLength(FAILED)
    expect(jobs.map((j) => j.data.route)).toEqual(Array(SERVED).fill('up'))
  })
})
