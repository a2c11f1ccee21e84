import type { RouteTargetStats } from '../../collector/client.ts'
import { learnerSchema } from '../config.ts'
import { logit, sigmoid } from '../logit.ts'
import { toEvidence } from '../evidence.ts'
import { bestIndex, type Candidate } from '../objective.ts'
import { commitment, trimTail } from '../route-step.ts'
import { normalize, uniform, type Weights } from '../weights.ts'
import { routeTotals, type Dataset } from './dataset.ts'
import { MemoryStatsSource } from './memory-stats.ts'
import type { PolicyContext, ReplayPolicy } from './policies.ts'

const clamp = (p: number) => Math.min(0.995, Math.max(0.005, p))
/** The interaction's values (in standard deviations) its posterior is kept on. */
const GRID = Array.from({ length: 81 }, (_, i) => -4 + i / 10)
const FIT_ROUNDS = 50

/** What the reference is told: the additive logit structure of the stream and every cell's mean cost. */
export interface KnownStructure {
  /** Per target: logit quality on a route of average difficulty. */
  level: number[]
  /** Per route: difficulty in logits. */
  difficulty: number[]
  /** Standard deviation of the route × target interaction, in logits. */
  tau: number
  /** [route · k + target]: mean cost and score variance over the stream. */
  cost: Float64Array
  scoreVariance: Float64Array
}

/**
 * Fits logit(hindsight mean of route × target) = level + difficulty by alternating means (a target's
 * level weighs routes by their traffic), the interaction's spread from the residuals.
 */
export function fitKnownStructure(data: Dataset): KnownStructure {
  const k = data.targets.length
  const routes = data.routes.length
  const t = routeTotals(data)
  const cell = (r: number, j: number) => logit(clamp(t.score[r * k + j]! / t.requests[r]!))
  const used = data.routes.map((_, r) => r).filter((r) => t.requests[r]! > 0)
  const level = new Array<number>(k).fill(0)
  const difficulty = new Array<number>(routes).fill(0)
  const traffic = used.reduce((a, r) => a + t.requests[r]!, 0)
  for (let round = 0; round < FIT_ROUNDS; round++) {
    for (let j = 0; j < k; j++)
      level[j] = used.reduce((a, r) => a + t.requests[r]! * (cell(r, j) - difficulty[r]!), 0) / traffic
    for (const r of used) difficulty[r] = level.reduce((a, l, j) => a + cell(r, j) - l, 0) / k
  }
  let ss = 0
  for (const r of used) for (let j = 0; j < k; j++) ss += (cell(r, j) - level[j]! - difficulty[r]!) ** 2
  const dof = Math.max(1, used.length * k - used.length - k + 1)
  const cost = new Float64Array(routes * k)
  const scoreVariance = new Float64Array(routes * k)
  for (const r of used)
    for (let j = 0; j < k; j++) {
      const n = t.requests[r]!
      cost[r * k + j] = t.cost[r * k + j]! / n
      scoreVariance[r * k + j] = Math.max(1e-3, t.scoreSq[r * k + j]! / n - (t.score[r * k + j]! / n) ** 2)
    }
  return { level, difficulty, tau: Math.sqrt(ss / dof), cost, scoreVariance }
}

/**
 * A reference, not a router (impossible live): it is told the stream's structure (`fitKnownStructure`,
 * from hindsight) and learns only each route × target interaction from the outcomes it serves — a
 * grid posterior under the N(0, τ²) prior — then allocates like the optimizer: P(best) under the
 * objective, raised to the optimizer's commitment and with its tail cut. What the optimizer loses
 * to it is what learning the structure costs; what it loses to hindsight is exploration alone.
 */
export class KnownStructurePolicy implements ReplayPolicy {
  readonly name = 'known structure (reference)'
  readonly stats: MemoryStatsSource
  private readonly learner = learnerSchema.parse({})
  private readonly served = new Map<string, { n: number; sum: number }>()
  private readonly current = new Map<string, Weights>()
  private lastMs = 0

  constructor(
    private readonly ctx: PolicyContext,
    private readonly structure: KnownStructure,
  ) {
    this.stats = new MemoryStatsSource(ctx.scoreKind)
  }

  async cycle(nowMs: number): Promise<void> {
    const window = await this.stats.read({ fromMs: this.lastMs, toMs: nowMs })
    this.lastMs = nowMs
    this.learn(window)
    this.ctx.routes.forEach((route, r) => this.current.set(route, this.decide(route, r)))
  }

  weights(route: string): Weights {
    return this.current.get(route) ?? uniform(this.ctx.targets)
  }

  costEstimate(): number | null {
    return null
  }

  private learn(window: RouteTargetStats[]): void {
    for (const s of window) {
      if (s.target === '') continue
      const ev = toEvidence(s, undefined)
      const key = `${s.route}\u0000${s.target}`
      const c = this.served.get(key) ?? { n: 0, sum: 0 }
      this.served.set(key, { n: c.n + ev.qualityCount, sum: c.sum + ev.qualitySum })
    }
  }

  /** Quality at each grid point of the cell's interaction, and the cumulative posterior over them. */
  private cellPosterior(route: string, r: number, j: number): { quality: number[]; cdf: number[] } {
    const { level, difficulty, tau, scoreVariance } = this.structure
    const k = this.ctx.targets.length
    const c = this.served.get(`${route}\u0000${this.ctx.targets[j]}`) ?? { n: 0, sum: 0 }
    const quality = GRID.map((g) => sigmoid(level[j]! + difficulty[r]! + tau * g))
    const logPost = GRID.map((g, i) => {
      const p = Math.min(1 - 1e-9, Math.max(1e-9, quality[i]!))
      const logLik =
        c.n <= 0
          ? 0
          : this.ctx.scoreKind === 'boolean'
            ? c.sum * Math.log(p) + (c.n - c.sum) * Math.log(1 - p)
            : -((c.sum - c.n * p) ** 2) / (2 * c.n * scoreVariance[r * k + j]!)
      return logLik - 0.5 * g * g
    })
    const top = Math.max(...logPost)
    const w = logPost.map((x) => Math.exp(x - top))
    const total = w.reduce((a, b) => a + b, 0)
    let acc = 0
    return { quality, cdf: w.map((x) => (acc += x / total)) }
  }

  private decide(route: string, r: number): Weights {
    const targets = this.ctx.targets
    const k = targets.length
    const cells = targets.map((_, j) => this.cellPosterior(route, r, j))
    const cands: Candidate[] = targets.map((_, j) => ({
      quality: 0,
      costUsd: this.structure.cost[r * k + j]!,
      latencyP95Ms: null,
    }))
    const wins = new Array<number>(k).fill(0)
    for (let d = 0; d < this.learner.draws; d++) {
      cells.forEach((c, j) => {
        const u = this.ctx.rng.next()
        const i = c.cdf.findIndex((x) => x >= u)
        cands[j]!.quality = c.quality[i < 0 ? GRID.length - 1 : i]!
      })
      wins[bestIndex(cands, this.ctx.objective)]! += 1
    }
    const contenders = wins.filter((w) => w > 0).length
    const s = commitment(this.learner.sharpness, contenders)
    const matched = normalize(
      Object.fromEntries(targets.map((t, j) => [t, (wins[j]! / this.learner.draws) ** s])),
      targets,
    )
    return trimTail(matched, targets, this.learner.minShare)
  }
}
