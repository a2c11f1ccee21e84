import type { LearnerSettings } from './config.ts'
import type { WindowEvidence } from './evidence.ts'

/** The pooled recent window is this many times a route's: more traffic, finer detection. */
export const POOLED_WINDOW_FACTOR = 5

const MIN_VARIANCE = 1e-4
/** The long run (summed over routes) must be this many times the recent window before they are compared. */
const LONG_RUN_FACTOR = 2

/** Weighted evidence: Σw, Σw·x, Σw·x², Σw². */
interface Weighted {
  n: number
  sum: number
  sumSq: number
  w2: number
}

/** One route × target as the pooled detector sees it. */
interface RouteHistory {
  /** Long-run evidence: discounted and capped like the route's beliefs, but never restarted by a change the route detected alone. */
  long: Weighted
  /** The route's part of the target's recent window (its weights decay with the whole window's). */
  recent: Weighted
  /** Σ w·u over observations, w their weight in `recent` and u in `long`: the covariance of the two means. */
  cross: number
}

const empty = (): Weighted => ({ n: 0, sum: 0, sumSq: 0, w2: 0 })

function scale(s: Weighted, k: number): void {
  s.n *= k
  s.sum *= k
  s.sumSq *= k
  s.w2 *= k * k
}

/**
 * Detects a change of a target's quality on every route at once (a provider silently swapped the
 * model). The target's last changeWindow × POOLED_WINDOW_FACTOR observations, over all routes, are
 * compared with the long run *of their own routes*: route by route, recent minus long-run mean, summed.
 * The raw pooled mean moves whenever the target's traffic shifts between easy and hard routes;
 * within a route, observations are alike over time whatever the allocation does, so such shifts do
 * not move this sum. A route's long run is not restarted when the route detects a change by itself —
 * otherwise the routes that noticed first would stop testifying, and the sparse routes, which need
 * the pooled alarm, would wait for it in vain.
 */
export class PooledChangeDetector {
  private readonly byTarget = new Map<string, Map<string, RouteHistory>>()
  /** Sign of each target's score when it passed the threshold in the previous cycle. */
  private readonly pending = new Map<string, number>()

  constructor(private readonly settings: LearnerSettings) {}

  /** Forgets like the beliefs do, at the start of a cycle. */
  decay(): void {
    const d = this.settings.discount
    for (const routes of this.byTarget.values()) {
      for (const h of routes.values()) {
        scale(h.long, d)
        h.cross *= d
      }
    }
  }

  observe(ev: WindowEvidence): void {
    const n = ev.qualityCount
    if (n <= 0) return
    let routes = this.byTarget.get(ev.target)
    if (!routes) this.byTarget.set(ev.target, (routes = new Map()))
    let h = routes.get(ev.route)
    if (!h) routes.set(ev.route, (h = { long: empty(), recent: empty(), cross: 0 }))
    for (const s of [h.long, h.recent]) {
      s.n += n
      s.sum += ev.qualitySum
      s.sumSq += ev.qualitySumSq
      s.w2 += n
    }
    h.cross += n
    if (h.long.n > this.settings.maxEvidence) {
      const k = this.settings.maxEvidence / h.long.n
      scale(h.long, k)
      h.cross *= k
    }
  }

  /** After the cycle's windows: each target's recent window is capped once per cycle, so routes within one cycle weigh alike. */
  endCycle(): void {
    const cap = this.settings.changeWindow * POOLED_WINDOW_FACTOR
    for (const routes of this.byTarget.values()) {
      let total = 0
      for (const h of routes.values()) total += h.recent.n
      if (total <= cap) continue
      const k = cap / total
      for (const h of routes.values()) {
        scale(h.recent, k)
        h.cross *= k
      }
    }
  }

  /**
   * z of the recent window against its routes' long-run means: Σ_r (Σw·x − W·m_r) over its
   * standard error σ·√Σ_r Σ(w − W·u/U)² (exact for independent observations, the recent ones
   * being part of the long run), σ² the target's within-route variance.
   */
  score(target: string): number {
    const routes = [...(this.byTarget.get(target)?.values() ?? [])]
    let total = 0
    let ss = 0
    let n = 0
    for (const { long, recent } of routes) {
      total += recent.n
      if (long.n <= 0) continue
      ss += Math.max(0, long.sumSq - (long.sum * long.sum) / long.n)
      n += long.n
    }
    // Until the long run is at least twice the window (LONG_RUN_FACTOR), there is too little history to compare with.
    if (total < this.settings.changeWindow * POOLED_WINDOW_FACTOR * 0.5 || n < LONG_RUN_FACTOR * total) return 0
    const sigma2 = Math.max(MIN_VARIANCE, ss / n)
    let diff = 0
    let spread = 0
    for (const { long, recent, cross } of routes) {
      if (long.n <= 0 || recent.n <= 0) continue
      const r = recent.n / long.n
      diff += recent.sum - r * long.sum
      spread += Math.max(0, recent.w2 - 2 * r * cross + r * r * long.w2)
    }
    return spread > 0 ? diff / Math.sqrt(sigma2 * spread) : 0
  }

  /**
   * A change is declared when the score passes ±threshold in two successive cycles, the same way: an
   * alarm makes every route relearn the target, and a chance excursion seldom lasts two cycles, a
   * change does. Excursions are more frequent than the normal tail says: the overlapping windows are
   * tested every cycle, and the learner sends more traffic where a target's history looks better than
   * its truth, so recent scores there fall short of the history by a little. Call once per cycle and target.
   */
  changed(target: string, threshold: number): boolean {
    const z = this.score(target)
    const sign = Math.abs(z) >= threshold ? Math.sign(z) : 0
    const before = this.pending.get(target) ?? 0
    this.pending.set(target, sign)
    return sign !== 0 && sign === before
  }

  /** The target changed everywhere: every route's history of it starts again. */
  restart(target: string): void {
    this.byTarget.delete(target)
    this.pending.delete(target)
  }
}
