import type { TargetBelief } from './types.ts'

/** Pseudo-observations that shrink a route's difficulty offset towards 0. */
const OFFSET_PRIOR = 5
/** Routes with evidence on a target (and on another target) needed before its prior strength is estimated. */
const MIN_ROUTES = 3
/** Prior strength while it cannot be estimated yet. */
export const FALLBACK_PRIOR_STRENGTH = 10
/** A floor on the between-route variance, so a prior never claims exact knowledge of a route. */
const MIN_TAU2 = 1e-4

const mean = (b: TargetBelief) => b.qSum / b.qCount

type RouteBeliefs = ReadonlyMap<string, ReadonlyMap<string, TargetBelief>>

/**
 * How much easier (+) or harder (−) a route is than average: the mean residual of its scored
 * observations against each target's pooled quality. Lets a rarely used target's prior follow the
 * route's difficulty measured on the targets that do get traffic.
 */
export function routeOffset(own: readonly TargetBelief[], pooled: readonly TargetBelief[]): number {
  let resid = 0
  let n = 0
  own.forEach((b, i) => {
    const p = pooled[i]!
    if (b.qCount <= 0 || p.qCount <= 0) return
    resid += b.qSum - b.qCount * mean(p)
    n += b.qCount
  })
  return resid / (n + OFFSET_PRIOR)
}

/** Within-route variance of a target's scores, pooled over routes. */
function withinVariance(routes: RouteBeliefs, target: string): number {
  let ss = 0
  let n = 0
  for (const r of routes.values()) {
    const b = r.get(target)
    if (!b || b.qCount <= 0) continue
    ss += Math.max(0, b.qSumSq - (b.qSum * b.qSum) / b.qCount)
    n += b.qCount
  }
  return n > 1 ? Math.max(MIN_TAU2, ss / n) : 0.25
}

/** Candidate values of τ² for the likelihood search: log-spaced from MIN_TAU2 to 0.25. */
const TAU2_GRID = Array.from({ length: 41 }, (_, i) => MIN_TAU2 * (0.25 / MIN_TAU2) ** (i / 40))
const FIT_ROUNDS = 10

/** The learner's shared model of quality across routes: target quality + route difficulty (+ an interaction). */
export interface Hierarchy {
  /** Each target's quality on a route of average difficulty. */
  targetMean: Map<string, number>
  /** Each route's difficulty, added to every target's quality (shrunk towards 0). */
  routeOffset: Map<string, number>
  /** Each target's route×target interaction variance τ² (absent while it cannot be estimated). */
  tau2: Map<string, number>
  /** Each target's within-route variance of scores σ². */
  sigma2: Map<string, number>
}

/**
 * Pseudo-observations a prior of variance τ² is worth: for boolean scores the Beta whose mean is
 * `mean` and variance τ² (a + b = m(1 − m)/τ² − 1); for numeric ones σ²/τ² observations.
 */
export function priorWorth(h: Hierarchy, target: string, mean: number, boolean: boolean): number | undefined {
  const tau2 = h.tau2.get(target)
  if (tau2 === undefined) return undefined
  return boolean ? Math.max(0, (mean * (1 - mean)) / tau2 - 1) : h.sigma2.get(target)! / tau2
}

/**
 * Fits quality of target t on route r = targetMean_t + routeOffset_r by alternating weighted
 * means (a traffic-weighted pooled mean would be biased by which routes the learner sends each
 * target to), then each target's interaction variance (empirical Bayes, `interactionVariance`).
 */
export function fitHierarchy(routes: RouteBeliefs): Hierarchy {
  const cells = [...routes].flatMap(([route, ts]) =>
    [...ts].filter(([, b]) => b.qCount > 0).map(([target, b]) => ({ route, target, n: b.qCount, m: mean(b), b })),
  )
  const targetMean = new Map<string, number>()
  const routeOffset = new Map<string, number>()
  for (let round = 0; round < FIT_ROUNDS; round++) {
    const t = new Map<string, [number, number]>()
    for (const c of cells) {
      const a = t.get(c.target) ?? [0, 0]
      t.set(c.target, [a[0] + c.n * (c.m - (routeOffset.get(c.route) ?? 0)), a[1] + c.n])
    }
    for (const [target, [s, n]] of t) targetMean.set(target, s / n)
    const r = new Map<string, [number, number]>()
    for (const c of cells) {
      const a = r.get(c.route) ?? [0, 0]
      r.set(c.route, [a[0] + c.n * (c.m - targetMean.get(c.target)!), a[1] + c.n])
    }
    for (const [route, [s, n]] of r) routeOffset.set(route, s / (n + OFFSET_PRIOR))
  }
  const sigma2 = new Map([...targetMean.keys()].map((t) => [t, withinVariance(routes, t)]))
  const tau2 = new Map<string, number>()
  for (const target of targetMean.keys()) {
    const t2 = interactionVariance(routes, target, targetMean, (j) => sigma2.get(j)!)
    if (t2 !== null) tau2.set(target, t2)
  }
  return { targetMean, routeOffset, tau2, sigma2 }
}

/**
 * τ²_t, the variance of target t's route-specific quality beyond difficulty. Each route gives a
 * residual — its mean minus targetMean_t minus the difficulty measured on the route's *other*
 * targets — distributed N(0, (1 + h)·τ² + sampling noise), h being the other targets' share
 * concentration (their interactions enter that offset too). τ² maximizes the likelihood, which,
 * unlike moment estimates, stays valid under the learner's adaptive sampling. Null with fewer than
 * MIN_ROUTES usable routes. Homogeneous routes share a strong prior, so a sparse route needs
 * little exploration; routes that differ learn on their own.
 */
function interactionVariance(
  routes: RouteBeliefs,
  t: string,
  targetMean: ReadonlyMap<string, number>,
  sigma2: (target: string) => number,
): number | null {
  const obs: { r2: number; a: number; v: number }[] = []
  for (const r of routes.values()) {
    const b = r.get(t)
    if (!b || b.qCount < 1) continue
    let n = 0
    let resid = 0
    let sq = 0
    let noise = 0
    for (const [j, o] of r) {
      if (j === t || o.qCount <= 0 || !targetMean.has(j)) continue
      n += o.qCount
      resid += o.qSum - o.qCount * targetMean.get(j)!
      sq += o.qCount * o.qCount
      noise += o.qCount * sigma2(j)
    }
    if (n < 1) continue
    const residual = mean(b) - targetMean.get(t)! - resid / n
    obs.push({ r2: residual * residual, a: 1 + sq / (n * n), v: sigma2(t) / b.qCount + noise / (n * n) })
  }
  if (obs.length < MIN_ROUTES) return null
  let best = MIN_TAU2
  let bestLl = -Infinity
  for (const tau2 of TAU2_GRID) {
    let ll = 0
    for (const o of obs) {
      const s = o.a * tau2 + o.v
      ll -= Math.log(s) + o.r2 / s
    }
    if (ll > bestLl) [best, bestLl] = [tau2, ll]
  }
  return best
}
