import { describe, expect, it } from 'vitest'
import type { RouteTargetStats } from '../../collector/client.ts'
import { objectiveSchema } from '../../optimizer/config.ts'
import { seededRng } from '../../optimizer/random.ts'
import { parseDataset, type Outcome } from '../../optimizer/replay/dataset.ts'
import { MemoryStatsSource } from '../../optimizer/replay/memory-stats.ts'
import { hindsightRegret } from '../../optimizer/replay/metrics.ts'
import {
  EpsilonGreedyPolicy,
  FullInformationPolicy,
  OptimizerPolicy,
  PlainThompsonPolicy,
  UniformPolicy,
  type PolicyContext,
  type ReplayPolicy,
} from '../../optimizer/replay/policies.ts'
import type { Scenario } from '../../optimizer/replay/scenarios.ts'
import { replay, streamOrder, type ReplayOptions } from '../../optimizer/replay/simulate.ts'

/** Two routes; on "chat" `good` is right (0.9 against 0.5), on "code" `cheap` is (0.88 at a twentieth of the cost). */
function twoRoutes(rows: number, seed: number): string {
  const rng = seededRng(seed)
  const b = (p: number) => (rng.next() < p ? 1 : 0)
  const lines = ['route,good|score,good|cost_usd,cheap|score,cheap|cost_usd']
  for (let i = 0; i < rows; i++)
    lines.push(i % 2 ? `chat,${b(0.9)},0.002,${b(0.5)},0.0001` : `code,${b(0.9)},0.002,${b(0.88)},0.0001`)
  return lines.join('\n') + '\n'
}

const options: ReplayOptions = {
  seed: 1,
  requestsPerSecond: 10,
  cycleSeconds: 5,
  scoredFraction: 1,
  regretCostWeight: 50,
}
const ctx = (data: ReturnType<typeof parseDataset>): PolicyContext => ({
  targets: data.targets,
  routes: data.routes,
  objective: objectiveSchema.parse({ costWeight: 50 }),
  scoreKind: 'boolean',
  rng: seededRng(9),
})

/** Always serves `good`; keeps every window it reads. */
class Spy implements ReplayPolicy {
  readonly name = 'spy'
  readonly stats = new MemoryStatsSource('boolean')
  readonly windows: RouteTargetStats[][] = []
  private last = 0
  constructor(readonly observesAllTargets: boolean) {}
  async cycle(nowMs: number): Promise<void> {
    this.windows.push(await this.stats.read({ fromMs: this.last, toMs: nowMs }))
    this.last = nowMs
  }
  weights() {
    return { good: 1, cheap: 0 }
  }
  costEstimate() {
    return null
  }
}

/** The first cycle (50 requests) lies: `cheap` scores 1 and `good` 0 everywhere. */
const misleadingStart: Scenario = {
  name: 'misleading start',
  at: 0,
  apply: (i: number, outcomes: readonly Outcome[]) => ({
    outcomes: outcomes.map((o, j) => (i < 50 ? { ...o, score: j === 1 ? 1 : 0 } : o)),
    errors: outcomes.map(() => false),
  }),
}

/** The same bound without its extra view: a greedy learner that sees only what it serves. */
class BlindGreedy extends FullInformationPolicy {
  override readonly observesAllTargets = false
}

describe('full-information bound', () => {
  it("is told every target's outcome on every request; the routers only the served target's", async () => {
    const data = parseDataset(twoRoutes(400, 1))
    const blind = new Spy(false)
    const told = new Spy(true)
    const a = await replay(data, blind, options)
    const b = await replay(data, told, options)
    expect(Array.from(b.chosen)).toEqual(Array.from(a.chosen)) // the served draws do not change
    const byTarget = (ws: RouteTargetStats[][], t: string) => ws.flat().filter((s) => s.target === t)
    expect(byTarget(blind.windows, 'cheap')).toEqual([])
    const cheap = byTarget(told.windows, 'cheap')
    const requests = cheap.reduce((n, s) => n + s.requests, 0)
    expect(requests).toBe(byTarget(told.windows, 'good').reduce((n, s) => n + s.requests, 0))
    expect(requests).toBe(350) // cycles after 50, 100, …, 350 requests: the last 50 are never read
    const order = streamOrder(data.requests.length, data.requests.length, seededRng(options.seed))
    const truth = order.slice(0, 350).reduce((n, r) => n + data.requests[r]!.outcomes[1]!.score, 0)
    expect(cheap.reduce((n, s) => n + (s.quality.quality?.sum ?? 0), 0)).toBe(truth)
    for (const p of [
      new OptimizerPolicy(ctx(data)),
      new PlainThompsonPolicy(ctx(data)),
      new EpsilonGreedyPolicy(ctx(data)),
      new UniformPolicy(ctx(data)),
    ] as ReplayPolicy[])
      expect(p.observesAllTargets).toBeFalsy()
  })

  it('routes every request of a route to its best target from the second cycle on', async () => {
    const data = parseDataset(twoRoutes(3000, 2))
    const t = await replay(data, new FullInformationPolicy(ctx(data)), options)
    const k = data.targets.length
    const chat = data.routes.indexOf('chat')
    const code = data.routes.indexOf('code')
    for (const c of t.cycles.slice(1)) {
      expect(c.weights[chat * k + 0]).toBe(1)
      expect(c.weights[code * k + 1]).toBe(1)
    }
    expect(hindsightRegret(t).secondHalf).toBe(0)
  })

  it('gets past a misleading start that a learner seeing only what it serves never corrects', async () => {
    const data = parseDataset(twoRoutes(3000, 3))
    const chat = data.routes.indexOf('chat') * 2
    const told = await replay(data, new FullInformationPolicy(ctx(data)), { ...options, scenario: misleadingStart })
    const blind = await replay(data, new BlindGreedy(ctx(data)), { ...options, scenario: misleadingStart })
    expect(told.cycles[1]!.weights[chat]).toBe(0) // both start on cheap for chat
    expect(blind.cycles[1]!.weights[chat]).toBe(0)
    expect(told.cycles.slice(5).every((c) => c.weights[chat] === 1)).toBe(true)
    expect(blind.cycles.at(-1)!.weights[chat]).toBe(0)
  })
})
