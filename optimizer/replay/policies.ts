import type { RouteTargetStats } from '../../collector/client.ts'
import { Beliefs, costEstimate } from '../beliefs.ts'
import {
  optimizerConfigSchema,
  type LearnerSettings,
  type ObjectiveSettings,
  type OptimizerSettings,
} from '../config.ts'
import { OptimizerCycle } from '../cycle.ts'
import { toEvidence } from '../evidence.ts'
import { allocate, qualityPosterior } from '../learner.ts'
import type { PosteriorSummary } from '../types.ts'
import { bestIndex } from '../objective.ts'
import { MemoryRoutingTable } from '../pusher.ts'
import { MemoryPriceList } from '../prices.ts'
import type { Rng } from '../random.ts'
import { MemoryDecisionRecorder } from '../recorder.ts'
import { normalize, uniform, type Weights } from '../weights.ts'
import { MemoryStatsSource } from './memory-stats.ts'

/** A routing policy under replay: it reads the same windowed stats and answers weights per route. */
export interface ReplayPolicy {
  readonly name: string
  readonly stats: MemoryStatsSource
  cycle(nowMs: number): Promise<void>
  weights(route: string): Weights
  /** The policy's current mean-cost estimate for a target pooled over routes (null if it keeps none). */
  costEstimate(target: string): number | null
  /** Guardrail and learner events so far (policies with guardrails only). */
  readonly events?: PolicyEvents
  /**
   * The replay records every target's outcome on every request into `stats`, not only the served
   * one's. Only reference bounds set it: no live gateway learns what an unserved target would have done.
   */
  readonly observesAllTargets?: boolean
  /** The gateway's list prices, for policies that read them (the optimizer); a price change scenario sets them. */
  readonly prices?: MemoryPriceList
}

/** What the optimizer did besides following the learner: worth counting on a stream where nothing changes. */
export interface PolicyEvents {
  /** Quality changes detected on a target pooled over routes (each makes every route relearn it). */
  pooledChanges: number
  /** Quality changes detected on one route × target. */
  routeChanges: number
  rollbacks: number
}

export interface PolicyContext {
  targets: string[]
  routes: string[]
  objective: ObjectiveSettings
  scoreKind: 'boolean' | 'numeric'
  rng: Rng
}

/** The production optimizer (same cycle, learner and guardrails) behind in-memory collector and gateway. */
export class OptimizerPolicy implements ReplayPolicy {
  readonly name = 'loopgate optimizer'
  readonly stats: MemoryStatsSource
  readonly table: MemoryRoutingTable
  readonly recorder = new MemoryDecisionRecorder()
  readonly prices: MemoryPriceList
  private readonly cycleRunner: OptimizerCycle
  private now = 0
  private lastPosteriors = new Map<string, PosteriorSummary[]>()
  readonly events: PolicyEvents = { pooledChanges: 0, routeChanges: 0, rollbacks: 0 }

  constructor(ctx: PolicyContext, overrides: Record<string, unknown> = {}, startMs = 0) {
    this.stats = new MemoryStatsSource(ctx.scoreKind)
    this.table = new MemoryRoutingTable(Object.fromEntries(ctx.routes.map((r) => [r, uniform(ctx.targets)])))
    this.prices = new MemoryPriceList(ctx.targets)
    const settings: OptimizerSettings = optimizerConfigSchema.parse({
      ingestLagSeconds: 0,
      ...overrides,
      objective: ctx.objective,
    })
    this.now = startMs
    this.cycleRunner = new OptimizerCycle(settings, {
      stats: this.stats,
      table: this.table,
      recorder: this.recorder,
      clock: () => this.now,
      rng: ctx.rng,
      prices: this.prices,
    })
  }

  async cycle(nowMs: number): Promise<void> {
    this.now = nowMs
    const result = await this.cycleRunner.run()
    for (const s of result.steps) this.lastPosteriors.set(s.route, s.posteriors)
    for (const c of result.qualityChanges) this.events[c.route === null ? 'pooledChanges' : 'routeChanges'] += 1
    this.events.rollbacks += result.steps.filter((s) => s.constraints.includes('rollback')).length
    this.recorder.decisions.length = 0
  }

  weights(route: string): Weights {
    return this.table.snapshot().routes[route]!
  }

  costEstimate(target: string): number | null {
    let sum = 0
    let n = 0
    for (const ps of this.lastPosteriors.values()) {
      const p = ps.find((x) => x.target === target)
      if (p?.costUsd != null) [sum, n] = [sum + p.costUsd, n + 1]
    }
    return n ? sum / n : null
  }
}

/** A baseline that reads every cycle's window once and keeps its own running state. */
export abstract class CumulativePolicy implements ReplayPolicy {
  abstract readonly name: string
  readonly stats: MemoryStatsSource
  protected readonly current = new Map<string, Weights>()
  protected lastMs = 0

  constructor(protected readonly ctx: PolicyContext) {
    this.stats = new MemoryStatsSource(ctx.scoreKind)
  }

  async cycle(nowMs: number): Promise<void> {
    const window = await this.stats.read({ fromMs: this.lastMs, toMs: nowMs })
    this.lastMs = nowMs
    this.learn(window)
    for (const r of this.ctx.routes) this.current.set(r, this.decide(r))
  }

  protected abstract learn(window: RouteTargetStats[]): void
  protected abstract decide(route: string): Weights

  weights(route: string): Weights {
    return this.current.get(route) ?? uniform(this.ctx.targets)
  }

  costEstimate(): number | null {
    return null
  }
}

export class UniformPolicy extends CumulativePolicy {
  readonly name = 'uniform'
  protected learn(): void {}
  protected decide(): Weights {
    return uniform(this.ctx.targets)
  }
}

/** Learner settings of a baseline: undiscounted, no sharpening, no exploration, no change detection. */
const cumulativeLearner = (o: Pick<LearnerSettings, 'priorStrength' | 'draws'>): LearnerSettings => ({
  discount: 1,
  maxEvidence: Infinity,
  costDiscount: 1,
  sharpness: 1,
  minShare: 0,
  exploreMaxWeight: 0,
  exploreHorizon: 1,
  changeWindow: 40,
  changeThreshold: 0,
  ...o,
})

/** Undiscounted Thompson allocation over the same posteriors, no guardrails. */
export class PlainThompsonPolicy extends CumulativePolicy {
  readonly name = 'plain Thompson'
  private readonly settings = cumulativeLearner({ priorStrength: 0, draws: 400 })
  private readonly beliefs = new Beliefs(this.settings)

  protected learn(window: RouteTargetStats[]): void {
    this.beliefs.update(window.map((s) => toEvidence(s, undefined)))
  }

  protected decide(route: string): Weights {
    const t = this.ctx.targets
    const ps = allocate(
      { targets: t, own: t.map((x) => this.beliefs.get(route, x)), pooled: t.map((x) => this.beliefs.pooledFor(x)) },
      this.ctx.objective,
      this.settings,
      this.ctx.rng,
    )
    return normalize(Object.fromEntries(ps.map((p) => [p.target, p.pBest])), t)
  }
}

/** ε-greedy on the cumulative means under the objective; unseen targets are tried first. */
export class EpsilonGreedyPolicy extends CumulativePolicy {
  readonly name: string
  private readonly sums = new Map<string, { q: number; n: number; cost: number; requests: number }>()

  constructor(
    ctx: PolicyContext,
    private readonly epsilon = 0.1,
  ) {
    super(ctx)
    this.name = `ε-greedy (ε=${epsilon})`
  }

  protected learn(window: RouteTargetStats[]): void {
    for (const s of window) {
      const key = `${s.route}|${s.target}`
      const a = this.sums.get(key) ?? { q: 0, n: 0, cost: 0, requests: 0 }
      const ev = toEvidence(s, undefined)
      a.q += ev.qualitySum
      a.n += ev.qualityCount
      a.cost += ev.costMeanUsd * (s.requests - s.errors)
      a.requests += s.requests - s.errors
      this.sums.set(key, a)
    }
  }

  protected decide(route: string): Weights {
    const t = this.ctx.targets
    const stats = t.map((x) => this.sums.get(`${route}|${x}`))
    const unseen = t.findIndex((_, i) => !stats[i] || stats[i]!.n === 0)
    const best =
      unseen >= 0
        ? unseen
        : bestIndex(
            stats.map((a) => ({
              quality: a!.q / a!.n,
              costUsd: a!.cost / Math.max(1, a!.requests),
              latencyP95Ms: null,
            })),
            this.ctx.objective,
          )
    return Object.fromEntries(t.map((x, i) => [x, (i === best ? 1 - this.epsilon : 0) + this.epsilon / t.length]))
  }
}

/**
 * A bound, not a router (impossible live): it is told every target's outcome on every request
 * (`observesAllTargets`) and routes all of a route's traffic to the best target under the
 * objective at the posterior means — the optimizer's Beliefs and empirical-Bayes prior across
 * routes, undiscounted on a stream where nothing changes. With nothing to explore, what it loses
 * to hindsight is estimating each route from its own requests.
 */
export class FullInformationPolicy extends CumulativePolicy {
  readonly name = 'full information (bound)'
  readonly observesAllTargets: boolean = true
  private readonly beliefs = new Beliefs(cumulativeLearner({ priorStrength: 'auto', draws: 50 }))

  protected learn(window: RouteTargetStats[]): void {
    this.beliefs.update(window.map((s) => toEvidence(s, undefined)))
  }

  protected decide(route: string): Weights {
    const t = this.ctx.targets
    const means = t.map((x) => {
      const own = this.beliefs.get(route, x)
      const pooled = this.beliefs.pooledFor(x)
      return {
        quality: qualityPosterior(own, pooled, this.beliefs.prior(route, x)).mean,
        costUsd: costEstimate(own, pooled) ?? 0,
        latencyP95Ms: own.latencyP95Ms ?? pooled.latencyP95Ms,
      }
    })
    const best = bestIndex(means, this.ctx.objective)
    return Object.fromEntries(t.map((x, i) => [x, i === best ? 1 : 0]))
  }
}
