import { createServer, type Server } from 'node:http'
import { mkdtempSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { start, type RunningGateway } from '../../gateway/index.ts'
import { Beliefs, costEstimate } from '../../optimizer/beliefs.ts'
import { learnerSchema, objectiveSchema, optimizerConfigSchema } from '../../optimizer/config.ts'
import { OptimizerCycle } from '../../optimizer/cycle.ts'
import { GatewayPriceList } from '../../optimizer/gateway-prices.ts'
import { MemoryPriceList, priceRatio, type PriceList } from '../../optimizer/prices.ts'
import { MemoryRoutingTable } from '../../optimizer/pusher.ts'
import { seededRng } from '../../optimizer/random.ts'
import { MemoryDecisionRecorder } from '../../optimizer/recorder.ts'
import { parseDataset } from '../../optimizer/replay/dataset.ts'
import { OptimizerPolicy } from '../../optimizer/replay/policies.ts'
import { priceChange } from '../../optimizer/replay/scenarios.ts'
import { replay } from '../../optimizer/replay/simulate.ts'
import { MemoryStatsSource } from '../../optimizer/replay/memory-stats.ts'
import { scoredWindow } from '../helpers/evidence.ts'

const ev = (target: string, route: string, n: number, cost: number) => scoredWindow(route, target, n, n / 2, cost)
const listed = (entries: Record<string, number>) =>
  new Map(Object.entries(entries).map(([t, p]) => [t, { inputPerMTok: p, outputPerMTok: 4 * p }]))

describe('list prices', () => {
  it('moves a cost by the ratio of the prices, input and output alike', () => {
    const from = { inputPerMTok: 2, outputPerMTok: 8 }
    expect(priceRatio(from, { inputPerMTok: 0.6, outputPerMTok: 2.4 })).toBeCloseTo(0.3, 12)
    expect(priceRatio(from, { inputPerMTok: 1, outputPerMTok: 8 })).toBeCloseTo(0.75, 12)
    expect(priceRatio(from, from)).toBeNull()
    expect(priceRatio({ inputPerMTok: 0, outputPerMTok: 0 }, from)).toBeNull()
  })

  it('rescales a target’s remembered costs on every route at once, served there lately or not', () => {
    const b = new Beliefs(learnerSchema.parse({}))
    b.reprice(listed({ dear: 10, cheap: 1 }))
    for (let i = 0; i < 20; i++)
      b.update([ev('dear', 'rare', 5, 0.02), ev('dear', 'busy', 50, 0.01), ev('cheap', 'busy', 50, 0.001)])
    const cost = (route: string, t: string) => costEstimate(b.get(route, t), b.pooledFor(t))!
    expect(cost('rare', 'dear')).toBeCloseTo(0.02, 6)
    expect(b.reprice(listed({ dear: 3, cheap: 1 }))).toEqual([{ target: 'dear', ratio: expect.closeTo(0.3, 12) }])
    expect(cost('rare', 'dear')).toBeCloseTo(0.006, 6)
    expect(cost('busy', 'dear')).toBeCloseTo(0.003, 6)
    expect(cost('busy', 'cheap')).toBeCloseTo(0.001, 6)
    // The next windows are billed at the new price: the estimate stays where the list put it.
    b.update([ev('dear', 'busy', 50, 0.003)])
    expect(cost('rare', 'dear')).toBeCloseTo(0.006, 4)
    // A read that leaves a target out keeps its last price: listed again, it moves from that one.
    expect(b.reprice(listed({ cheap: 1 }))).toEqual([])
    expect(b.reprice(listed({ dear: 6, cheap: 1 }))).toEqual([{ target: 'dear', ratio: expect.closeTo(2, 12) }])
    expect(cost('rare', 'dear')).toBeCloseTo(0.012, 4)
  })
})

/**
 * One route: `cheap` (quality 0.8, $0.0001) and `dear` (0.95, $0.02: at λ = 50 its cost alone rules
 * it out). Each cycle serves 100 requests in the table's proportions.
 */
function oneRoute(prices: PriceList | undefined) {
  const stats = new MemoryStatsSource('boolean')
  const table = new MemoryRoutingTable({ r: { cheap: 0.5, dear: 0.5 } })
  const recorder = new MemoryDecisionRecorder()
  let now = Date.UTC(2026, 0, 1)
  const cost = { cheap: 0.0001, dear: 0.02 }
  const quality = { cheap: 0.8, dear: 0.95 }
  const rng = seededRng(3)
  const cycle = new OptimizerCycle(optimizerConfigSchema.parse({ ingestLagSeconds: 0, intervalSeconds: 10 }), {
    stats,
    table,
    recorder,
    clock: () => now,
    rng: seededRng(4),
    prices,
  })
  return {
    table,
    recorder,
    cost,
    async run(cycles: number) {
      let last
      for (let c = 0; c < cycles; c++) {
        const w = table.snapshot().routes.r!
        for (const t of ['cheap', 'dear'] as const)
          for (let i = 0; i < Math.round(100 * w[t]!); i++)
            stats.record({
              atMs: now + 5000,
              route: 'r',
              target: t,
              error: false,
              latencyMs: 400,
              costUsd: cost[t],
              score: rng.next() < quality[t] ? 1 : 0,
            })
        now += 10_000
        last = await cycle.run()
      }
      return last!
    },
  }
}

describe('the optimizer cycle with the gateway’s list prices', () => {
  it('sees a listed price cut of a target the route does not serve in the next cycle', async () => {
    const prices = new MemoryPriceList(['cheap', 'dear'])
    const route = oneRoute(prices)
    await route.run(20)
    const probe = optimizerConfigSchema.parse({}).guardrails.priceProbeWeight
    expect(route.table.snapshot().routes.r!.dear).toBeCloseTo(probe, 6) // 0.1 requests a cycle
    route.cost.dear = 0.001 // now 0.95 − 0.05 beats 0.8 − 0.005, but nothing serves it
    prices.set('dear', 0.05)
    const next = await route.run(1)
    expect(route.recorder.decisions.at(-1)!.reason).toMatch(/^dear is best/)
    const dear = next.steps[0]!.posteriors.find((p) => p.target === 'dear')!
    expect(dear.costUsd).toBeCloseTo(0.001, 6)
    expect(next.repriced).toEqual([{ target: 'dear', ratio: expect.closeTo(0.05, 12) }])
    expect(next.steps[0]!.constraints).toContain('list price of dear × 0.050: its cost estimate moved with it')
    expect(route.table.snapshot().routes.r!.dear).toBeGreaterThan(0.4)
    await route.run(3)
    expect(route.table.snapshot().routes.r!.dear).toBeGreaterThan(0.9)
  })

  it('without a list, sees the cut only on requests the target serves; a list that fails does not stop the cycle', async () => {
    const unlisted = oneRoute(undefined)
    await unlisted.run(20)
    unlisted.cost.dear = 0.001
    const next = await unlisted.run(1)
    expect(next.steps[0]!.posteriors.find((p) => p.target === 'dear')!.costUsd).toBeCloseTo(0.02, 6)
    expect(unlisted.table.snapshot().routes.r!.dear).toBeLessThan(0.01)

    const failing = oneRoute({ read: async () => Promise.reject(new Error('gateway unreachable at http://gw')) })
    const result = await failing.run(3)
    expect(result.pricesError).toBe('gateway unreachable at http://gw')
    expect(result.steps).toHaveLength(1)
    expect(failing.table.snapshot().routes.r!.cheap).toBeGreaterThan(0.5)
  })
})

describe('a price change in the replay', () => {
  /** `dear` is the strongest and ruled out by cost until its price is cut to a twentieth. */
  const csv = () => {
    const rng = seededRng(8)
    const lines = ['route,cheap|score,cheap|cost_usd,dear|score,dear|cost_usd']
    for (let i = 0; i < 6000; i++) lines.push(`r,${rng.next() < 0.8 ? 1 : 0},0.0001,${rng.next() < 0.95 ? 1 : 0},0.02`)
    return lines.join('\n') + '\n'
  }

  it('reaches the optimizer through the list: its estimate moves in the first cycle after the cut', async () => {
    const data = parseDataset(csv())
    const ctx = {
      targets: data.targets,
      routes: data.routes,
      objective: objectiveSchema.parse({ costWeight: 50 }),
      scoreKind: 'boolean' as const,
      rng: seededRng(9),
    }
    const at = 3000
    const trace = await replay(data, new OptimizerPolicy(ctx), {
      seed: 1,
      requestsPerSecond: 10,
      cycleSeconds: 10,
      scoredFraction: 1,
      regretCostWeight: 50,
      scenario: priceChange(1, 0.05, at),
    })
    const after = trace.cycles.findIndex((c) => c.at > at)
    expect(trace.cycles[after - 1]!.costEstimates[1]).toBeCloseTo(0.02, 6)
    expect(trace.cycles[after]!.costEstimates[1]).toBeCloseTo(0.001, 6)
    expect(trace.cycles[after - 1]!.weights[1]).toBeLessThan(0.01)
    expect(trace.cycles.at(-1)!.weights[1]).toBeGreaterThan(0.9)
  })
})

describe('GatewayPriceList', () => {
  const ADMIN = 'admin-token-0123456789abcdef'
  let gw: RunningGateway
  let junk: Server
  let junkUrl: string
  beforeAll(async () => {
    gw = await start({
      gateway: {
        port: 0,
        dataDir: mkdtempSync(join(tmpdir(), 'loopgate-opt-prices-')),
        providers: { up: { protocol: 'openai', baseUrl: 'http://127.0.0.1:9/v1' } },
        routes: [
          {
            name: 'chat',
            targets: [
              { provider: 'up', model: 'house-model', price: { input: '2.5', output: '10' } },
              { provider: 'up', model: 'no-such-model-anywhere', id: 'unpriced' },
            ],
          },
        ],
        telemetry: { enabled: false },
      },
      adminToken: ADMIN,
      logger: pino({ level: 'silent' }),
    })
    junk = createServer((req, res) => {
      if (req.url === '/mixed/admin/targets')
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            targets: [
              { id: 'embedder', price: { inputPerMTok: '0.02' } },
              { id: 'negative', price: { inputPerMTok: '-1', outputPerMTok: '2' } },
              { id: 'unpriced' },
              { id: 7, price: { inputPerMTok: '1', outputPerMTok: '1' } },
              { id: 'words', price: { inputPerMTok: 'cheap', outputPerMTok: '1' } },
            ],
          }),
        )
      else if (req.url === '/html/admin/targets')
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>')
      else res.writeHead(502).end('bad gateway')
    })
    await new Promise<void>((r) => junk.listen(0, '127.0.0.1', r))
    junkUrl = `http://127.0.0.1:${(junk.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await gw?.close()
    if (junk) await new Promise((r) => junk.close(r))
  })

  it('reads the prices the real gateway bills each target at, leaving out targets without one', async () => {
    const list = await new GatewayPriceList({ baseUrl: gw.url, adminToken: ADMIN }).read()
    expect([...list]).toEqual([['up/house-model', { inputPerMTok: 2.5, outputPerMTok: 10 }]])
  })

  it('lists only the targets whose prices are numbers; a rate the table lacks costs nothing', async () => {
    const list = await new GatewayPriceList({ baseUrl: `${junkUrl}/mixed`, adminToken: ADMIN }).read()
    expect([...list]).toEqual([['embedder', { inputPerMTok: 0.02, outputPerMTok: 0 }]])
  })

  it('says what is wrong with an answer it cannot use', async () => {
    await expect(new GatewayPriceList({ baseUrl: gw.url, adminToken: 'wrong' }).read()).rejects.toThrow(/HTTP 401/)
    await expect(new GatewayPriceList({ baseUrl: `${junkUrl}/html`, adminToken: ADMIN }).read()).rejects.toThrow(
      /did not answer JSON: <html>/,
    )
    await expect(new GatewayPriceList({ baseUrl: junkUrl, adminToken: ADMIN }).read()).rejects.toThrow(/HTTP 502/)
    await expect(new GatewayPriceList({ baseUrl: 'http://127.0.0.1:9', adminToken: ADMIN }).read()).rejects.toThrow(
      /gateway unreachable at http:\/\/127\.0\.0\.1:9\/admin\/targets/,
    )
  })
})
