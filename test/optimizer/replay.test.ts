import { describe, expect, it } from 'vitest'
import { objectiveSchema } from '../../optimizer/config.ts'
import { sigmoid } from '../../optimizer/logit.ts'
import { seededRng } from '../../optimizer/random.ts'
import { ReplayDataError } from '../../optimizer/replay/csv.ts'
import { parseDataset } from '../../optimizer/replay/dataset.ts'
import { sweep } from '../../optimizer/replay/experiments.ts'
import { changePoint } from '../../optimizer/replay/scenario-runs.ts'
import { flattenCosts } from '../../optimizer/replay/flat-costs.ts'
import { hindsightRegret } from '../../optimizer/replay/metrics.ts'
import { fitKnownStructure, KnownStructurePolicy } from '../../optimizer/replay/known-structure.ts'
import { OptimizerPolicy, PlainThompsonPolicy, UniformPolicy } from '../../optimizer/replay/policies.ts'
import { convertMmlu, convertMtBench } from '../../optimizer/replay/routellm.ts'
import { outage, qualityDrift } from '../../optimizer/replay/scenarios.ts'
import { separability } from '../../optimizer/replay/separability.ts'
import { replay, type ReplayOptions } from '../../optimizer/replay/simulate.ts'

/** Two routes, three targets; on "chat" `good` wins, on "code" `cheap` wins once cost counts. */
function syntheticCsv(rows: number, seed: number): string {
  const rng = seededRng(seed)
  const lines = ['route,good|score,good|cost_usd,cheap|score,cheap|cost_usd,bad|score,bad|cost_usd,bad|latency_ms']
  for (let i = 0; i < rows; i++) {
    const route = i % 2 ? 'chat' : 'code'
    const b = (p: number) => (rng.next() < p ? 1 : 0)
    const cheapQ = route === 'chat' ? 0.5 : 0.88
    lines.push(`${route},${b(0.9)},0.002,${b(cheapQ)},0.0001,${b(0.3)},0.001,${Math.round(300 + rng.next() * 200)}`)
  }
  return lines.join('\n') + '\n'
}

const options: ReplayOptions = {
  seed: 1,
  requestsPerSecond: 10,
  cycleSeconds: 5,
  scoredFraction: 1,
  regretCostWeight: 50,
}
const ctx = (data: ReturnType<typeof parseDataset>) => ({
  targets: data.targets,
  routes: data.routes,
  objective: objectiveSchema.parse({ costWeight: 50 }),
  scoreKind: 'boolean' as const,
  rng: seededRng(9),
})

describe('replay harness', () => {
  it('learns the known best target per route through the production cycle, with far less regret than uniform', async () => {
    const data = parseDataset(syntheticCsv(6000, 5))
    expect(data.targets).toEqual(['good', 'cheap', 'bad'])
    const policy = new OptimizerPolicy(ctx(data))
    const trace = await replay(data, policy, options)
    const last = trace.cycles.at(-1)!.weights
    const k = data.targets.length
    const chat = data.routes.indexOf('chat')
    const code = data.routes.indexOf('code')
    expect(last[chat * k + 0]!).toBeGreaterThan(0.85) // good on chat
    expect(last[code * k + 1]!).toBeGreaterThan(0.85) // cheap on code (0.88 − 0.005 > 0.9 − 0.1)
    expect(last[chat * k + 2]!).toBeLessThan(0.05)
    const uniform = await replay(data, new UniformPolicy(ctx(data)), options)
    const r = hindsightRegret(trace)
    expect(r.perRequest).toBeLessThan(hindsightRegret(uniform).perRequest / 4)
    expect(r.secondHalf).toBeLessThan(r.firstHalf)
  })

  it('is reproducible for a seed', async () => {
    const data = parseDataset(syntheticCsv(1500, 2))
    const a = await replay(data, new OptimizerPolicy(ctx(data)), options)
    const b = await replay(data, new OptimizerPolicy(ctx(data)), options)
    expect(Array.from(a.chosen)).toEqual(Array.from(b.chosen))
  })

  it('drains a target that fails mid-stream within a cycle', async () => {
    const data = parseDataset(syntheticCsv(4000, 3))
    const trace = await replay(data, new OptimizerPolicy(ctx(data)), { ...options, scenario: outage(0, 2000, 1000) })
    const chat = data.routes.indexOf('chat')
    const after = trace.cycles.find((c) => c.at >= 2000 + 2 * 50)!
    expect(after.weights[chat * 3 + 0]!).toBeLessThan(0.05)
  })
})

describe('replay event counts', () => {
  it('counts the change detections a drift causes, and none on the unchanged stream', async () => {
    const data = parseDataset(syntheticCsv(6000, 4))
    const still = await replay(data, new OptimizerPolicy(ctx(data)), options)
    expect(still.events).toEqual({ pooledChanges: 0, routeChanges: 0, rollbacks: 0 })
    const drifted = await replay(data, new OptimizerPolicy(ctx(data)), {
      ...options,
      scenario: qualityDrift(0, 2, 2000),
    }) // good scores like bad
    expect(drifted.events!.pooledChanges + drifted.events!.routeChanges).toBeGreaterThan(0)
  })
})

describe('replay experiments', () => {
  const setup = (data: ReturnType<typeof parseDataset>) => ({
    data,
    seeds: [1],
    overrides: {},
    base: { requestsPerSecond: 10, cycleSeconds: 5, regretCostWeight: 50 },
  })

  it('starts a scenario on a cycle boundary, so the next cycle sees only the change', () => {
    const s = setup(parseDataset(syntheticCsv(10, 1)))
    expect(changePoint(s, 1000)).toBe(350) // a third is 333; cycles are 50 requests
  })

  it('sweeps a relative quality floor: a lower floor sends more traffic to the cheap target', async () => {
    const s = setup(parseDataset(syntheticCsv(2000, 6)))
    const floor = (relative: number) => objectiveSchema.parse({ kind: 'floor', qualityFloor: { relative } })
    const [strict, loose] = await sweep(s, 'optimizer', [
      { param: 1, objective: floor(1) },
      { param: 0.5, objective: floor(0.5) },
    ])
    expect(loose!.strongestShare).toBeLessThan(strict!.strongestShare - 0.2)
    expect(loose!.relCost).toBeLessThan(strict!.relCost)
  })
})

describe('known-structure reference', () => {
  /** Six routes and four targets whose logit quality is exactly level + difficulty (no interaction). */
  function additive(rows: number, seed: number) {
    const rng = seededRng(seed)
    const level = [1.5, 0.5, 0, -1]
    const difficulty = [-0.6, -0.3, 0, 0.2, 0.4, 0.8]
    const head = level.map((_, j) => `t${j}|score,t${j}|cost_usd`).join(',')
    const lines = [`route,${head}`]
    for (let i = 0; i < rows; i++) {
      const r = i % difficulty.length
      const cells = level.map((l, j) => `${rng.next() < sigmoid(l + difficulty[r]!) ? 1 : 0},${0.0002 * (j + 1)}`)
      lines.push(`r${r},${cells.join(',')}`)
    }
    return { data: parseDataset(lines.join('\n') + '\n'), level, difficulty }
  }

  it('recovers levels and difficulties from hindsight, up to a shared constant, and a small interaction', () => {
    const { data, level, difficulty } = additive(30_000, 3)
    const fit = fitKnownStructure(data)
    const shift = fit.level[0]! - level[0]!
    fit.level.forEach((l, j) => expect(Math.abs(l - shift - level[j]!)).toBeLessThan(0.1))
    data.routes.forEach((route, r) => {
      const truth = difficulty[Number(route.slice(1))]!
      expect(Math.abs(fit.difficulty[r]! + shift - truth)).toBeLessThan(0.1)
    })
    expect(fit.tau).toBeLessThan(0.1)
  })

  it('needs little exploration once told the structure: less regret than plain Thompson on the same stream', async () => {
    const { data } = additive(6_000, 4)
    const told = await replay(data, new KnownStructurePolicy(ctx(data), fitKnownStructure(data)), options)
    const plain = await replay(data, new PlainThompsonPolicy(ctx(data)), options)
    expect(hindsightRegret(told).perRequest).toBeLessThan(hindsightRegret(plain).perRequest / 2)
  })
})

describe('separability of the best-quality target', () => {
  it('counts a route only when its first half holds the scores needed to tell the best from the runner-up', () => {
    // "chat": good 0.9 vs cheap 0.5, told apart in a few dozen scores. "code": cheap 0.88 vs good
    // 0.9, which needs (2.33 · (0.30 + 0.32))² / 0.02² ≈ 5,000 scores; the route has 500 in its first half.
    const data = parseDataset(syntheticCsv(2_000, 3))
    const s = separability(data, 2.33)
    const byRoute = Object.fromEntries(s.routes.map((r) => [r.route, r]))
    expect(byRoute.chat!.needed).toBeLessThan(50)
    expect(byRoute.code!.needed).toBeGreaterThan(1_000)
    expect(byRoute.code!.available).toBe(500)
    expect(s.tellableShare).toBeCloseTo(0.5, 6)
  })

  it('never calls a tie tellable', () => {
    const tie = parseDataset(
      'route,a|score,a|cost_usd,b|score,b|cost_usd\n' + 'r,1,0.001,1,0.002\nr,0,0.001,0,0.002\n'.repeat(50),
    )
    expect(separability(tie, 2.33).tellableShare).toBe(0)
  })
})

describe('calls sweep (flat per-target costs)', () => {
  /** "long": strong better by 0.35 at 30× the price of "short", where it is better by 0.1. */
  function promptLengthCsv(rows: number, seed: number): string {
    const rng = seededRng(seed)
    const lines = ['route,strong|score,strong|cost_usd,cheap|score,cheap|cost_usd']
    const b = (p: number) => (rng.next() < p ? 1 : 0)
    for (let i = 0; i < rows; i++) {
      const long = i % 2 === 0
      lines.push(long ? `long,${b(0.95)},0.03,${b(0.6)},0.0005` : `short,${b(0.95)},0.001,${b(0.85)},0.00005`)
    }
    return lines.join('\n') + '\n'
  }
  const setup = (data: ReturnType<typeof parseDataset>) => ({
    data,
    seeds: [1, 2],
    overrides: {},
    base: { requestsPerSecond: 10, cycleSeconds: 5, regretCostWeight: 50 },
  })

  it('gives every call of a target its mean cost and leaves scores alone', () => {
    const data = parseDataset(promptLengthCsv(100, 1))
    const flat = flattenCosts(data)
    for (const r of flat.requests) expect(r.outcomes[0]!.costUsd).toBeCloseTo(0.0155, 12)
    expect(flat.requests[1]!.outcomes[1]!.costUsd).toBeCloseTo(0.000275, 12)
    expect(flat.requests.map((r) => r.outcomes.map((o) => o.score))).toEqual(
      data.requests.map((r) => r.outcomes.map((o) => o.score)),
    )
  })

  it('charges a pass on flat costs what its calls cost in the data', async () => {
    const data = parseDataset(promptLengthCsv(600, 2))
    const s = { ...setup(data), seeds: [1] }
    const [real] = await sweep(s, 'uniform', [{ param: 1, objective: 50 }])
    const [flat] = await sweep(s, 'uniform', [{ param: 1, objective: 50 }], flattenCosts(data))
    expect(flat!.relCost).toBeCloseTo(real!.relCost, 12)
    expect(flat!.strongestShare).toBeCloseTo(real!.strongestShare, 12)
  })

  it('moves the route with the smallest quality gap per call first, where λ on dollars moves the expensive prompts first', async () => {
    const data = parseDataset(promptLengthCsv(4000, 3))
    const strongShare = async (d: ReturnType<typeof parseDataset>) => {
      const t = await replay(
        d,
        new OptimizerPolicy({ ...ctx(d), objective: objectiveSchema.parse({ costWeight: 15 }) }),
        options,
      )
      const w = t.cycles.at(-1)!.weights
      return { long: w[d.routes.indexOf('long') * 2]!, short: w[d.routes.indexOf('short') * 2]! }
    }
    const dollars = await strongShare(data) // long: 0.35 < 15 × 0.0295; short: 0.1 > 15 × 0.00095
    expect(dollars.long).toBeLessThan(0.1)
    expect(dollars.short).toBeGreaterThan(0.9)
    const calls = await strongShare(flattenCosts(data)) // every call: 15 × (0.0155 − 0.000275) = 0.23
    expect(calls.long).toBeGreaterThan(0.9)
    expect(calls.short).toBeLessThan(0.1)
  })
})

describe('replay CSV', () => {
  const expectError = (text: string, message: string) => {
    expect(() => parseDataset(text, 'x.csv')).toThrow(ReplayDataError)
    expect(() => parseDataset(text, 'x.csv')).toThrow(message)
  }
  it('names the missing column', () => {
    expectError('good|score,good|cost_usd,b|score,b|cost_usd\n1,0.1,1,0.1\n', 'line 1: missing column "route"')
    expectError('route,good|score,good|cost_usd,b|score\nr,1,0.1,1\n', 'missing column "b|cost_usd"')
  })
  it('names line and column of a bad number', () => {
    expectError(
      'route,a|score,a|cost_usd,b|score,b|cost_usd\nr,1,0.1,1,0.1\nr,1,abc,1,0.1\n',
      'line 3, column "a|cost_usd": "abc" is not a number',
    )
    expectError('route,a|score,a|cost_usd,b|score,b|cost_usd\nr,1.5,0.1,1,0.1\n', 'line 2, column "a|score"')
    expectError('route,a|score,a|cost_usd,b|score,b|cost_usd\nr,1,0.1,1\n', 'line 2: expected 5 columns, found 4')
  })
  it('counts lines through quoted newlines and keeps other columns out of the way', () => {
    const d = parseDataset('prompt,route,a|score,a|cost_usd,b|score,b|cost_usd\n"two\nlines, quoted",r,1,0.1,0,0.2\n')
    expect(d.requests[0]!.outcomes[1]!.costUsd).toBe(0.2)
    expectError(
      'prompt,route,a|score,a|cost_usd,b|score,b|cost_usd\n"two\nlines",r,1,0.1,0,0.2\nx,r,1,0.1,0,oops\n',
      'line 4, column "b|cost_usd"',
    )
  })
})

describe('RouteLLM converter', () => {
  it('turns MMLU rows into replay rows with list-price costs, dropping contaminated rows', () => {
    const csv = convertMmlu(
      'subject,contaminated,prompt_chars,gpt4_correct,mixtral_correct,prompt\nanatomy,0,400,1,0,"Q, with comma"\nanatomy,1,400,1,1,x\n',
    )
    const d = parseDataset(csv)
    expect(d.requests).toHaveLength(1)
    expect(d.routes).toEqual(['anatomy'])
    expect(d.requests[0]!.outcomes[0]!.costUsd).toBeCloseTo((400 * 10e-6 + 4 * 30e-6) / 4, 9)
    expect(d.requests[0]!.outcomes[1]!.score).toBe(0)
  })
  it('pairs MT-Bench judgements and scales scores to 0–1', () => {
    const d = parseDataset(
      convertMtBench(
        'question_id,category,turn,model,score_1_to_10\n1,math,1,gpt-4-1106-preview,9\n1,math,1,mistralai/Mixtral-8x7B-Instruct-v0.1,6\n',
      ),
    )
    expect(d.requests[0]!.outcomes.map((o) => o.score)).toEqual([0.9, 0.6])
  })
})
