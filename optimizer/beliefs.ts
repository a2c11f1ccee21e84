import type { LearnerSettings } from './config.ts'
import { addCapped, addToCusum, changeScore, cusumAlarm, emptyCusum } from './change-detector.ts'
import type { WindowEvidence } from './evidence.ts'
import type { RouteTraffic, TargetBelief } from './types.ts'
import { priceRatio, type ListedPrice } from './prices.ts'
import {
  emptyHierarchy,
  FALLBACK_PRIOR_STRENGTH,
  fitHierarchy,
  priorMean,
  priorWorth,
  type Hierarchy,
} from './hierarchy.ts'
import { POOLED_WINDOW_FACTOR, PooledChangeDetector } from './pooled-change.ts'

/** A detected change of a target's quality: its old evidence was replaced by the recent window. */
export interface QualityChange {
  route: string | null
  target: string
  from: number
  to: number
}

const emptyBelief = (): TargetBelief => ({
  qCount: 0,
  qSum: 0,
  qSumSq: 0,
  qBoolean: true,
  scoredTotal: 0,
  requests: 0,
  scored: 0,
  costSlowSum: 0,
  costSlowN: 0,
  costActual: 0,
  costPredicted: 0,
  latencyP95Ms: null,
  recent: { qCount: 0, qSum: 0, qSumSq: 0 },
  drop: emptyCusum(),
})

/**
 * Cost of a target on a route: the route's own (slow, low-noise) mean cost scaled by the target's
 * price index — its recent cost over what those requests cost at their routes' long-run means — so
 * a price change shows in the next cycle even on routes that rarely use the target. Cost is
 * observed on every served request, so a short memory suffices.
 */
export function costEstimate(own: TargetBelief, pooled: TargetBelief): number | null {
  const index = pooled.costPredicted > 0 ? pooled.costActual / pooled.costPredicted : 1
  if (own.costSlowN > 0) return (own.costSlowSum / own.costSlowN) * index
  return pooled.costSlowN > 0 ? (pooled.costSlowSum / pooled.costSlowN) * index : null
}

function blend(old: number | null, fresh: number, freshWeight: number): number {
  return old === null ? fresh : old + (fresh - old) * freshWeight
}

/**
 * What the learner remembers. Every cycle old evidence is multiplied by `discount` and the new
 * window is added; quality evidence is also capped at `maxEvidence` effective observations so a
 * busy route does not become slow to notice drift.
 */
export class Beliefs {
  private readonly byRoute = new Map<string, Map<string, TargetBelief>>()
  private readonly pooled = new Map<string, TargetBelief>()
  private hierarchy: Hierarchy = emptyHierarchy()
  private readonly pooledChange: PooledChangeDetector
  /**
   * Route × target pairs whose own change was detected, with the scored total at which the prior
   * may count again: until the route has seen changeWindow fresh scores of the target, the prior
   * (fitted mostly on its old level) would pull the restarted estimate back towards what changed.
   */
  private readonly priorSuspended = new Map<string, number>()
  /**
   * Route × target pairs whose quality dropped (detected) where they led the route: the learner holds
   * them to the floor until they lead again with confidence (route-step.ts › RELEASE_CONFIDENCE) — a
   * restarted posterior is vague, and probability matching would otherwise keep sending a fifth of the traffic
   * to what just got worse.
   */
  private readonly dropped = new Set<string>()
  /** Per route: Σ discount^k over the cycles since its first evidence (its discounted age in cycles). */
  private readonly age = new Map<string, number>()
  /** Each target's list price as last read (prices.ts); kept while a read leaves it out. */
  private readonly listed = new Map<string, ListedPrice>()

  constructor(private readonly settings: LearnerSettings) {
    this.pooledChange = new PooledChangeDetector(settings)
  }

  get(route: string, target: string): TargetBelief {
    return this.byRoute.get(route)?.get(target) ?? emptyBelief()
  }

  /** The target's evidence summed over routes: each route's prior. */
  pooledFor(target: string): TargetBelief {
    return this.pooled.get(target) ?? emptyBelief()
  }

  /** Whether other routes inform each route's beliefs: the hierarchy could estimate how much routes differ. */
  routesShareEvidence(): boolean {
    return this.hierarchy.tau2.size > 0
  }

  /**
   * The prior of `target` on `route` from the other routes (hierarchy.ts): its quality at the
   * route's difficulty (null before any route has scored it), worth `strength` observations —
   * learner.priorStrength, or estimated, but never more than a route can hold itself (maxEvidence).
   */
  prior(route: string, target: string): { mean: number | null; strength: number } {
    const pooled = this.pooledFor(target)
    const mean = priorMean(this.hierarchy, route, target, pooled.qCount > 0 ? pooled.qSum / pooled.qCount : null)
    const key = `${route}\u0000${target}`
    const until = this.priorSuspended.get(key)
    if (until !== undefined) {
      if (this.get(route, target).scoredTotal < until) return { mean, strength: 0 }
      this.priorSuspended.delete(key)
    }
    const s = this.settings.priorStrength
    const estimated =
      s === 'auto' && mean !== null ? priorWorth(this.hierarchy, route, target, mean, pooled.qBoolean) : undefined
    const strength = s === 'auto' ? (estimated ?? FALLBACK_PRIOR_STRENGTH) : s
    return { mean, strength: Math.min(this.settings.maxEvidence, strength) }
  }

  /** Whether the target's quality dropped on this route (or everywhere) and it has not led since. */
  isSuspect(route: string, target: string): boolean {
    return this.dropped.has(`${route}\u0000${target}`)
  }

  /** The target leads the route again: it competes like any other. */
  clearSuspect(route: string, target: string): void {
    this.dropped.delete(`${route}\u0000${target}`)
  }

  /**
   * Holds each target whose quality dropped on the routes it leads (`leaderOf`, from the routing
   * table). Where it did not lead it had little traffic to lose, and a hold would keep it from ever
   * being re-tested: a pooled false alarm on a runner-up (RouteLLM MMLU: Mixtral, 0.668 → 0.630)
   * held it on every route, and the routes kept serving GPT-4 after GPT-4 itself dropped.
   */
  holdDrops(changes: readonly QualityChange[], leaderOf: (route: string) => string | undefined): void {
    for (const c of changes) {
      if (!(c.to < c.from)) continue
      const routes = c.route === null ? [...this.byRoute.keys()] : [c.route]
      for (const r of routes)
        if (this.byRoute.get(r)?.has(c.target) && leaderOf(r) === c.target) this.dropped.add(`${r}\u0000${c.target}`)
    }
  }

  /**
   * The gateway's list prices, read every cycle before the window is learned. When a target's price
   * moves, every cost it is remembered at (per route and pooled) moves by the same ratio at once —
   * on routes it does not serve too, where the price index alone would see the change only on the
   * requests it serves. Returns the targets whose price moved, with the ratio.
   */
  reprice(prices: ReadonlyMap<string, ListedPrice>): { target: string; ratio: number }[] {
    const moved: { target: string; ratio: number }[] = []
    for (const [target, price] of prices) {
      const before = this.listed.get(target)
      this.listed.set(target, price)
      const ratio = before ? priceRatio(before, price) : null
      if (ratio === null) continue
      for (const targets of [...this.byRoute.values(), this.pooled]) {
        const b = targets.get(target)
        if (b) b.costSlowSum *= ratio
      }
      moved.push({ target, ratio })
    }
    return moved
  }

  /** The route's traffic as remembered: requests per cycle (discounted requests over discounted age) and the scored share. */
  traffic(route: string): RouteTraffic {
    const age = this.age.get(route) ?? 0
    let requests = 0
    let scored = 0
    for (const b of this.byRoute.get(route)?.values() ?? [])
      [requests, scored] = [requests + b.requests, scored + b.scored]
    return { perCycle: age > 0 ? requests / age : 0, scoredFraction: requests > 0 ? scored / requests : 0 }
  }

  /** One cycle: forget, learn this window, then restart the evidence of targets whose quality changed. */
  update(window: WindowEvidence[]): QualityChange[] {
    const { discount } = this.settings
    const { costDiscount } = this.settings
    for (const targets of this.byRoute.values()) for (const b of targets.values()) decay(b, discount, costDiscount)
    for (const b of this.pooled.values()) decay(b, discount, costDiscount)
    this.pooledChange.decay()
    for (const [route, a] of this.age) this.age.set(route, a * discount + 1)
    for (const ev of window) if (!this.age.has(ev.route)) this.age.set(ev.route, 1)
    for (const ev of window) {
      let targets = this.byRoute.get(ev.route)
      if (!targets) this.byRoute.set(ev.route, (targets = new Map()))
      let b = targets.get(ev.target)
      if (!b) targets.set(ev.target, (b = emptyBelief()))
      let p = this.pooled.get(ev.target)
      if (!p) this.pooled.set(ev.target, (p = emptyBelief()))
      addPriceEvidence(p, b, ev)
      this.pooledChange.observe(ev)
      // The drop CUSUM compares the window with the long run before it (once that long run is worth a change window).
      if (ev.qualityCount > 0 && b.qCount >= this.settings.changeWindow)
        addToCusum(b.drop, b, b.qBoolean && ev.qualityBoolean, ev.qualityCount, ev.qualitySum, ev.qualitySumSq)
      this.add(b, ev, this.settings.maxEvidence)
      this.add(p, ev, Infinity, Infinity)
    }
    // The pooled recent window (what a target restarts from) is capped once per cycle, so routes within one window weigh alike.
    for (const p of this.pooled.values())
      addCapped(p.recent, 0, 0, 0, this.settings.changeWindow * POOLED_WINDOW_FACTOR)
    this.pooledChange.endCycle()
    const changes = this.detectChanges(window)
    this.hierarchy = fitHierarchy(this.byRoute)
    return changes
  }

  /**
   * Discounting alone forgets slowly; a significant gap between the recent window and the long-run
   * mean (|z| ≥ changeThreshold) means the target changed: its evidence restarts from the recent
   * window. Pooled over routes first (a provider that degrades everywhere; pooled-change.ts), then per route.
   */
  private detectChanges(window: WindowEvidence[]): QualityChange[] {
    const { changeThreshold, changeWindow } = this.settings
    if (!(changeThreshold > 0)) return []
    const changes: QualityChange[] = []
    const restart = (b: TargetBelief): [number, number] => {
      const from = b.qSum / b.qCount
      b.qCount = b.recent.qCount
      b.qSum = b.recent.qSum
      b.qSumSq = b.recent.qSumSq
      return [from, b.qSum / b.qCount]
    }
    for (const target of new Set(window.map((e) => e.target))) {
      const p = this.pooled.get(target)!
      if (!this.pooledChange.changed(target, changeThreshold)) continue
      this.pooledChange.restart(target)
      const [from, to] = restart(p)
      changes.push({ route: null, target, from, to })
      // The target changed everywhere: each route relearns it from the (fresh) pooled prior.
      for (const [route, targets] of this.byRoute) {
        const b = targets.get(target)
        // A route that restarted the target on its own already holds only post-change evidence.
        if (!b || this.priorSuspended.has(`${route}\u0000${target}`)) continue
        b.qCount = b.qSum = b.qSumSq = b.recent.qCount = b.recent.qSum = b.recent.qSumSq = 0
        b.drop = emptyCusum()
      }
    }
    for (const ev of window) {
      const b = this.byRoute.get(ev.route)!.get(ev.target)!
      if (b.qCount > 0 && cusumAlarm(b.drop, b, b.qBoolean)) {
        // A drop: restart from the observations since the CUSUM last was 0 (the estimated change point).
        const from = b.qSum / b.qCount
        const since = b.drop.since
        ;[b.qCount, b.qSum, b.qSumSq] = [since.qCount, since.qSum, since.qSumSq]
        b.recent = { ...since }
        b.drop = emptyCusum()
        this.priorSuspended.set(`${ev.route}\u0000${ev.target}`, b.scoredTotal + changeWindow)
        changes.push({ route: ev.route, target: ev.target, from, to: b.qSum / b.qCount })
        continue
      }
      if (b.recent.qCount < changeWindow * 0.5 || Math.abs(changeScore(b.recent, b, b.qBoolean)) < changeThreshold)
        continue
      b.drop = emptyCusum()
      const [from, to] = restart(b)
      this.priorSuspended.set(`${ev.route}\u0000${ev.target}`, b.scoredTotal + changeWindow)
      changes.push({ route: ev.route, target: ev.target, from, to })
    }
    return changes
  }

  private add(b: TargetBelief, ev: WindowEvidence, cap: number, recentCap = this.settings.changeWindow): void {
    const served = ev.requests - ev.errors
    if (served > 0) {
      b.costSlowSum += ev.costMeanUsd * ev.requests
      b.costSlowN += served
      if (ev.latencyP95Ms !== null)
        b.latencyP95Ms = blend(b.latencyP95Ms, ev.latencyP95Ms, 1 - this.settings.costDiscount)
    }
    b.requests += ev.requests
    if (ev.qualityCount > 0) {
      b.qCount += ev.qualityCount
      b.qSum += ev.qualitySum
      b.qSumSq += ev.qualitySumSq
      b.qBoolean = b.qBoolean && ev.qualityBoolean
      b.scoredTotal += ev.qualityCount
      b.scored += ev.qualityCount
      addCapped(b.recent, ev.qualityCount, ev.qualitySum, ev.qualitySumSq, recentCap)
      if (b.qCount > cap) {
        const k = cap / b.qCount
        b.qCount *= k
        b.qSum *= k
        b.qSumSq *= k
      }
    }
  }
}

/** The window's cost of a target on a route against the route's long-run mean (before this window). */
function addPriceEvidence(pooled: TargetBelief, own: TargetBelief, ev: WindowEvidence): void {
  const served = ev.requests - ev.errors
  if (served <= 0 || own.costSlowN <= 0) return
  pooled.costActual += ev.costMeanUsd * ev.requests
  pooled.costPredicted += served * (own.costSlowSum / own.costSlowN)
}

function decay(b: TargetBelief, discount: number, costDiscount: number): void {
  b.costSlowSum *= discount
  b.costSlowN *= discount
  b.costActual *= costDiscount
  b.costPredicted *= costDiscount
  b.qCount *= discount
  b.qSum *= discount
  b.qSumSq *= discount
  b.requests *= discount
  b.scored *= discount
}
